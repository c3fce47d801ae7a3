"""The stack's life cycle: change sets, events, outputs, destroy and status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lambdaserve.facade import lazy_exports

if TYPE_CHECKING:
    from lambdaserve.cloud.stack.changeset import Change, template_upload, template_url_if_large
    from lambdaserve.cloud.stack.deployer import Deployer, DeployRequest
    from lambdaserve.cloud.stack.destroy import destroy_stack
    from lambdaserve.cloud.stack.events import StackEvent
    from lambdaserve.cloud.stack.execute import Executor, smoke_failure
    from lambdaserve.cloud.stack.moto_alias import (
        point,
        publish,
        publish_and_point,
        version_description,
        without_alias,
    )
    from lambdaserve.cloud.stack.outputs import stack_outputs
    from lambdaserve.cloud.stack.plan import (
        Plan,
        plan_deploy,
        plan_image_push,
        plan_model_upload,
        plan_zip_upload,
    )
    from lambdaserve.cloud.stack.rollback import (
        Restored,
        RolledBack,
        Versions,
        alias_version,
        list_versions,
        restore_previous,
        roll_back,
    )
    from lambdaserve.cloud.stack.rollout import LOCAL_SHIFT_SPEED, RolloutWatcher, Verdict, shift_schedule
    from lambdaserve.cloud.stack.smoke import SmokeResult, smoke_test, urllib_get, urllib_post
    from lambdaserve.cloud.stack.status import app_status
    from lambdaserve.cloud.stack.steps import Step

_EXPORTS = {
    "Change": "lambdaserve.cloud.stack.changeset",
    "DeployRequest": "lambdaserve.cloud.stack.deployer",
    "Deployer": "lambdaserve.cloud.stack.deployer",
    "Executor": "lambdaserve.cloud.stack.execute",
    "Plan": "lambdaserve.cloud.stack.plan",
    "Restored": "lambdaserve.cloud.stack.rollback",
    "RolledBack": "lambdaserve.cloud.stack.rollback",
    "alias_version": "lambdaserve.cloud.stack.rollback",
    "restore_previous": "lambdaserve.cloud.stack.rollback",
    "Versions": "lambdaserve.cloud.stack.rollback",
    "list_versions": "lambdaserve.cloud.stack.rollback",
    "roll_back": "lambdaserve.cloud.stack.rollback",
    "SmokeResult": "lambdaserve.cloud.stack.smoke",
    "StackEvent": "lambdaserve.cloud.stack.events",
    "Step": "lambdaserve.cloud.stack.steps",
    "app_status": "lambdaserve.cloud.stack.status",
    "destroy_stack": "lambdaserve.cloud.stack.destroy",
    "plan_deploy": "lambdaserve.cloud.stack.plan",
    "plan_image_push": "lambdaserve.cloud.stack.plan",
    "plan_model_upload": "lambdaserve.cloud.stack.plan",
    "plan_zip_upload": "lambdaserve.cloud.stack.plan",
    "publish_and_point": "lambdaserve.cloud.stack.moto_alias",
    "point": "lambdaserve.cloud.stack.moto_alias",
    "publish": "lambdaserve.cloud.stack.moto_alias",
    "RolloutWatcher": "lambdaserve.cloud.stack.rollout",
    "LOCAL_SHIFT_SPEED": "lambdaserve.cloud.stack.rollout",
    "Verdict": "lambdaserve.cloud.stack.rollout",
    "shift_schedule": "lambdaserve.cloud.stack.rollout",
    "smoke_failure": "lambdaserve.cloud.stack.execute",
    "smoke_test": "lambdaserve.cloud.stack.smoke",
    "urllib_get": "lambdaserve.cloud.stack.smoke",
    "urllib_post": "lambdaserve.cloud.stack.smoke",
    "stack_outputs": "lambdaserve.cloud.stack.outputs",
    "version_description": "lambdaserve.cloud.stack.moto_alias",
    "without_alias": "lambdaserve.cloud.stack.moto_alias",
    "template_upload": "lambdaserve.cloud.stack.changeset",
    "template_url_if_large": "lambdaserve.cloud.stack.changeset",
}
__all__ = [
    "LOCAL_SHIFT_SPEED",
    "Change",
    "DeployRequest",
    "Deployer",
    "Executor",
    "Plan",
    "Restored",
    "RolledBack",
    "RolloutWatcher",
    "SmokeResult",
    "StackEvent",
    "Step",
    "Verdict",
    "Versions",
    "alias_version",
    "app_status",
    "destroy_stack",
    "list_versions",
    "plan_deploy",
    "plan_image_push",
    "plan_model_upload",
    "plan_zip_upload",
    "point",
    "publish",
    "publish_and_point",
    "restore_previous",
    "roll_back",
    "shift_schedule",
    "smoke_failure",
    "smoke_test",
    "stack_outputs",
    "template_upload",
    "template_url_if_large",
    "urllib_get",
    "urllib_post",
    "version_description",
    "without_alias",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
