// The SQL statements a PostGraphile process sends and the time they take, counted per request
// as the service's middleware counts them (benchmarks/middleware.py): every statement goes
// through pg.Client#query (the pool's and PostGraphile's), timed from the call to its result
// (the promise's settling, or the callback). An answer carries X-Bench-Queries and
// X-Bench-Sql-Ms only when no other request was in flight in the process meanwhile (the
// statements and their time cannot be told apart then), and X-Bench-Sql-Ms only when every
// statement of the request could be timed (a submittable query object is counted, not timed).

export const QUERIES_HEADER = "X-Bench-Queries";
export const SQL_MS_HEADER = "X-Bench-Sql-Ms";

// Wraps `Client.prototype.query`; returns `track(res)`, to call as a request starts.
export function countStatements(Client, now = () => performance.now()) {
  const totals = { statements: 0, untimed: 0, ms: 0 };
  const inFlight = new Set();
  const original = Client.prototype.query;

  Client.prototype.query = function query(...args) {
    totals.statements += 1;
    const started = now();
    const done = () => {
      totals.ms += now() - started;
    };
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const callback = args[last];
      args[last] = function timedCallback(...results) {
        done();
        return callback.apply(this, results);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof result.then === "function") {
      result.then(done, done); // settles before the caller's own reactions, added after this
    } else {
      totals.untimed += 1; // a submittable (its own callback or events), or a config callback
    }
    return result;
  };

  return function track(res) {
    const mine = { ...totals, overlapped: inFlight.size > 0 };
    for (const other of inFlight) other.overlapped = true;
    inFlight.add(mine);
    const writeHead = res.writeHead;
    res.writeHead = function countedWriteHead(...args) {
      if (!mine.overlapped) {
        res.setHeader(QUERIES_HEADER, String(totals.statements - mine.statements));
        if (totals.untimed === mine.untimed) {
          res.setHeader(SQL_MS_HEADER, (totals.ms - mine.ms).toFixed(3));
        }
      }
      return writeHead.apply(this, args);
    };
    res.on("close", () => inFlight.delete(mine));
  };
}
