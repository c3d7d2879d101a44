from django.conf import settings
from django.contrib import admin
from django.urls import path

from config import dashboards
from config.schema import schema
from config.views import GraphQLView, healthz

admin.site.site_header = "Data service administration"
admin.site.site_title = "Data service admin"
# The index shows the dashboards the staff user may see; "View site" leads to GraphiQL in DEBUG.
admin.site.index_template = "dashboards/index.html"
admin.site.site_url = "/graphql/" if settings.GRAPHIQL_ENABLED else None

urlpatterns = [
    *dashboards.urls(),
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(schema=schema), name="graphql"),
    path("healthz", healthz, name="healthz"),
]
