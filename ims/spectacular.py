"""drf-spectacular's settings: the API schema at /api/schema/ and its docs at /api/docs/."""


def spectacular_settings() -> dict:
    return {
        "TITLE": "IMS API",
        "DESCRIPTION": "Incident management: every SOP is one POST action; errors share one envelope.",
        "VERSION": "1",
        "SERVE_INCLUDE_SCHEMA": False,
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "core.api.schema.add_error_responses",  # the error envelope on every operation
            "incidents.api.schema.work_notes_optional",  # fields a reporter is not shown
            "incidents.api.schema.related_documented",  # what the apps above incidents add
        ],
        "ENUM_NAME_OVERRIDES": {
            "LevelEnum": "incidents.choices.Level",
            "EscalationTargetEnum": "incidents.choices.EscalationTarget",
            "AssignmentTeamEnum": "incidents.choices.AssignmentTeam",
            "TeamCodeEnum": "accounts.models.TeamCode",
            # every entity has a "status": each its own name, so none is left to a hashed one
            "StatusEnum": "incidents.choices.Status",  # the incident's (the name clients know)
            "ProblemStatusEnum": "problems.choices.ProblemStatus",
            "ChangeStatusEnum": "changes.choices.ChangeStatus",
            "ReviewStatusEnum": "reviews.choices.ReviewStatus",
            "SimulationStatusEnum": "simulations.choices.SimulationStatus",
            "ActionItemStatusEnum": "reviews.choices.ActionItemStatus",
            "ArticleStatusEnum": "knowledge.choices.ArticleStatus",
            "ChangeTypeEnum": "changes.choices.ChangeType",
            "ArticleTypeEnum": "knowledge.choices.ArticleType",
            "ToolOutcomeEnum": "tooling.choices.Outcome",
            "IntakeOutcomeEnum": "monitoring.choices.Outcome",
        },
    }
