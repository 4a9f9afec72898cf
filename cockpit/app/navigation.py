"""The page registry: which page files exist, their titles, icons and the roles that see them."""

from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = ("executive", "branch_head", "manager", "admin")


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the project root
    title_key: str  # i18n key
    icon: str
    roles: tuple[str, ...]
    url_path: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "page.overview", ":material/dashboard:", ALL_ROLES, "overview"),
    PageSpec("pages/targets.py", "page.targets", ":material/flag:", ALL_ROLES, "targets"),
    PageSpec("pages/scorecard.py", "page.scorecard", ":material/leaderboard:", ALL_ROLES, "scorecard"),
    PageSpec(
        "pages/sicas.py",
        "page.sicas",
        ":material/filter_alt:",
        ("executive", "branch_head", "manager"),
        "sicas",
    ),
    PageSpec(
        "pages/channels.py",
        "page.channels",
        ":material/hub:",
        ("executive", "branch_head", "manager"),
        "channels",
    ),
    PageSpec(
        "pages/guidance.py",
        "guidance.page",
        ":material/lightbulb:",
        ("executive", "branch_head", "manager"),
        "guidance",
    ),
    PageSpec(
        "pages/reports.py",
        "report.page",
        ":material/description:",
        ("executive", "branch_head", "manager"),
        "reports",
    ),
    PageSpec(
        "pages/admin_targets.py", "page.admin_targets", ":material/upload_file:", ("admin",), "targets-admin"
    ),
    PageSpec(
        "pages/actions.py",
        "page.actions",
        ":material/task_alt:",
        ("executive", "branch_head", "manager"),
        "actions",
    ),
    PageSpec(
        "pages/subscriptions.py", "page.subscriptions", ":material/schedule_send:", ALL_ROLES, "subscriptions"
    ),
    PageSpec("pages/admin_delivery.py", "page.admin_delivery", ":material/outbox:", ("admin",), "deliveries"),
    PageSpec("pages/admin_users.py", "page.admin_users", ":material/manage_accounts:", ("admin",), "users"),
    PageSpec("pages/admin_import.py", "import.page", ":material/upload_file:", ("admin",), "import"),
)


def pages_for(role: str) -> list[PageSpec]:
    """The pages a role sees, in menu order."""
    return [p for p in PAGES if role in p.roles]
