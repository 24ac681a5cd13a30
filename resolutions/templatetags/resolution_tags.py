"""The campaign page's section on bodies that passed its resolution.

An inclusion tag, so that the campaign page (campaign/) shows it without
campaign/ importing this app, which builds on campaign/.
"""

from django import template

from resolutions.selectors import campaign_takes_reports, passed_resolutions_public

register = template.Library()


@register.inclusion_tag("resolutions/_bodies.html")
def passed_resolutions(campaign):
    count, groups = passed_resolutions_public(campaign=campaign)
    return {
        "campaign": campaign,
        "count": count,
        "groups": groups,
        "takes_reports": campaign_takes_reports(campaign=campaign),
    }
