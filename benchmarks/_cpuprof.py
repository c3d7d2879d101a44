import cProfile, pstats, sys, time, json, os
sys.argv = ["x", sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "graphql"]
from benchmarks.run import Options, server_environment
options = Options("default", 0, 0, [], 1, 1, [], False, None, None, *([] if len(Options.__dataclass_fields__)==10 else [False]))
os.environ.update(server_environment(options)); os.environ["DJANGO_ALLOWED_HOSTS"]="testserver"
import django; django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from benchmarks.run import Calls
from benchmarks.scenarios import SCENARIOS
from benchmarks.seed import BENCH_USERNAME
from chat import services as chat_services
scenario = next(s for s in SCENARIOS if s.name == sys.argv[1])
user = get_user_model().objects.get(username=BENCH_USERNAME)
_, api_key = chat_services.api_key_create(user=user, name="profile")
client = Client()
class S:
    def graphql(self, q, v=None, *, api_key=None, expect_ok=True):
        return json.loads(client.post("/graphql/", {"query": q, "variables": v or {}}, content_type="application/json", headers={"Authorization": f"Bearer {api_key or KEY}"}).content)
    def raw(self, name, v):
        return json.loads(client.post(f"/bench/raw/{name}", v, content_type="application/json", headers={"Authorization": f"Bearer {KEY}"}).content)
KEY=api_key
state = scenario.prepare(S()) if scenario.prepare else {}
make = Calls(scenario, api_key, state).make(sys.argv[2])
def req(n):
    c = make(n); return client.post(c.path, c.body, content_type="application/json", headers={"Authorization": c.headers["Authorization"]})
for n in range(20): assert req(n).status_code == 200
N=200
t0=time.process_time(); w0=time.perf_counter(); sql=0
for n in range(N): r=req(n); sql += float(r["X-Bench-Sql-Ms"])
cpu=(time.process_time()-t0)/N*1000; wall=(time.perf_counter()-w0)/N*1000
print(f"{scenario.name} {sys.argv[2]}: cpu {cpu:.2f} ms/req, wall {wall:.2f} ms/req, sql {sql/N:.2f} ms/req, bytes {len(r.content)}")
if os.environ.get("PROF"):
    pr=cProfile.Profile(); pr.enable()
    for n in range(100): req(n)
    pr.disable(); pstats.Stats(pr).sort_stats(os.environ.get("SORT","tottime")).print_stats(int(os.environ.get("LINES","25")))
