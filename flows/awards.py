"""The campaign's rule pack and the awards it offers, as the Excel list and the checks see them."""

from __future__ import annotations

from documents.nomination_list import AwardChoice
from models.campaign import Campaign
from models.rules.eligibility import RulePack, load_rule_pack
from models.settings import get_settings


def campaign_pack(campaign: Campaign) -> RulePack:
    """The campaign's rule pack with the operator's overrides of unconfirmed values applied."""
    return load_rule_pack(campaign.rule_pack, overrides=get_settings().rule_overrides)


def award_choices(campaign: Campaign) -> list[AwardChoice]:
    pack = campaign_pack(campaign)
    return [
        AwardChoice(
            code=award.code,
            name_vi=award.name_vi,
            category=award.category,
            nominee=award.nominee,
        )
        for code, award in pack.awards.items()
        if code in campaign.titles_on_offer
    ]
