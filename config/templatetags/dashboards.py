from django import template

from config.dashboards import visible_dashboards

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboards_for(context):
    """The dashboards the request's user may see (by their domains' view permissions)."""
    return visible_dashboards(context["request"].user)
