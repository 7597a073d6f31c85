"""Writers of the service catalog and vendor registry: admins and incident managers."""

from django.db import transaction

from accounts.models import Team
from audit.services import audit_record
from catalog.models import BusinessCalendar, Criticality, Service, Vendor, VendorContact
from core.errors import DomainError, ErrorCode, validation_error
from core.roles import Role, has_any_role

CATALOG_EDITORS = (Role.ADMIN, Role.INCIDENT_MANAGER)


def _authorize(actor, what: str) -> None:
    if not has_any_role(actor, *CATALOG_EDITORS):
        raise DomainError(
            ErrorCode.PERMISSION_DENIED,
            f"Only an admin or an incident manager may {what}.",
        )


def _resolve_service_refs(refs: list[str]) -> list[Service]:
    services = list(Service.objects.filter(reference__in=refs, is_active=True))
    missing = sorted(set(refs) - {s.reference for s in services})
    if missing:
        raise validation_error(
            f"No active service {', '.join(missing)}.", depends_on=f"Unknown: {', '.join(missing)}"
        )
    return services


def _check_fields(*, name, criticality, owner_team, calendar) -> tuple[Team | None, BusinessCalendar | None]:
    if not name or not name.strip():
        raise validation_error("A service needs a name.", name="This field is required.")
    if criticality not in Criticality.values:
        raise validation_error(
            f"Criticality must be one of {', '.join(Criticality.values)}.", criticality="Invalid choice."
        )
    team = None
    if owner_team:
        team = Team.objects.filter(code=owner_team).first()
        if team is None:
            raise validation_error(f"No team {owner_team}.", owner_team=f"Unknown team {owner_team}.")
    cal = None
    if calendar:
        cal = BusinessCalendar.objects.filter(name=calendar).first()
        if cal is None:
            raise validation_error(f"No calendar {calendar}.", calendar=f"Unknown calendar {calendar}.")
    return team, cal


def service_create(
    *,
    actor,
    name: str,
    description: str = "",
    criticality: str = Criticality.MEDIUM,
    owner_team: str | None = None,
    depends_on: list[str] | None = None,
    calendar: str | None = None,
) -> Service:
    """Add a service to the catalog (admins and incident managers)."""
    _authorize(actor, "add services to the catalog")
    team, cal = _check_fields(name=name, criticality=criticality, owner_team=owner_team, calendar=calendar)
    with transaction.atomic():
        if Service.objects.filter(name__iexact=name.strip()).exists():
            existing = Service.objects.get(name__iexact=name.strip())
            raise DomainError(
                ErrorCode.DUPLICATE,
                f"{existing.reference} is already named {existing.name!r}.",
                {"existing": existing.reference},
            )
        dependencies = _resolve_service_refs(depends_on or [])
        service = Service.objects.create(
            name=name.strip(),
            description=description,
            criticality=criticality,
            owner_team=team,
            calendar=cal,
        )
        service.depends_on.set(dependencies)
        audit_record(
            action="create",
            obj=service,
            actor=actor,
            changes={
                "name": [None, service.name],
                "criticality": [None, criticality],
                "owner_team": [None, owner_team],
                "depends_on": [None, sorted(s.reference for s in dependencies)],
            },
        )
    return service


def service_update(*, actor, service: Service, **fields) -> Service:
    """Change a service's attributes; the audit event carries the delta."""
    _authorize(actor, "change services")
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        before = {
            "name": service.name,
            "description": service.description,
            "criticality": service.criticality,
            "owner_team": service.owner_team.code if service.owner_team else None,
            "calendar": service.calendar.name if service.calendar else None,
            "is_active": service.is_active,
            "depends_on": sorted(service.depends_on.values_list("reference", flat=True)),
        }
        after = {**before, **{k: v for k, v in fields.items() if k in before}}
        team, cal = _check_fields(
            name=after["name"],
            criticality=after["criticality"],
            owner_team=after["owner_team"],
            calendar=after["calendar"],
        )
        dependencies = _resolve_service_refs(after["depends_on"])
        if service.reference in after["depends_on"]:
            raise validation_error(
                f"{service.reference} cannot depend on itself.", depends_on="Self-dependency."
            )
        service.name = after["name"].strip()
        service.description = after["description"]
        service.criticality = after["criticality"]
        service.owner_team = team
        service.calendar = cal
        service.is_active = after["is_active"]
        service.save()
        service.depends_on.set(dependencies)
        after["depends_on"] = sorted(after["depends_on"])
        delta = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if delta:
            audit_record(action="update", obj=service, actor=actor, changes=delta)
    return service


def vendor_create(
    *,
    actor,
    name: str,
    website: str = "",
    support_portal: str = "",
    notes: str = "",
    contacts: list[dict] | None = None,
) -> Vendor:
    """Register a vendor with its contacts (admins and incident managers)."""
    _authorize(actor, "register vendors")
    if not name or not name.strip():
        raise validation_error("A vendor needs a name.", name="This field is required.")
    with transaction.atomic():
        existing = Vendor.objects.filter(name__iexact=name.strip()).first()
        if existing:
            raise DomainError(
                ErrorCode.DUPLICATE,
                f"{existing.reference} is already named {existing.name!r}.",
                {"existing": existing.reference},
            )
        vendor = Vendor.objects.create(
            name=name.strip(), website=website, support_portal=support_portal, notes=notes
        )
        rows = [VendorContact(vendor=vendor, **contact) for contact in contacts or []]
        VendorContact.objects.bulk_create(rows)
        audit_record(
            action="create",
            obj=vendor,
            actor=actor,
            changes={"name": [None, vendor.name], "contacts": [None, [c.name for c in rows]]},
        )
    return vendor


def vendor_update(*, actor, vendor: Vendor, **fields) -> Vendor:
    """Change a vendor's attributes; the audit event carries the delta."""
    _authorize(actor, "change vendors")
    editable = ("name", "website", "support_portal", "notes", "is_active")
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        delta = {
            key: [getattr(vendor, key), value]
            for key, value in fields.items()
            if key in editable and getattr(vendor, key) != value
        }
        if "name" in delta and not str(fields["name"]).strip():
            raise validation_error("A vendor needs a name.", name="This field is required.")
        for key, (_, value) in delta.items():
            setattr(vendor, key, value)
        if delta:
            vendor.save()
            audit_record(action="update", obj=vendor, actor=actor, changes=delta)
    return vendor
