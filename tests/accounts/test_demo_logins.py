"""``manage.py create_demo_logins`` (development only): one login per audience, created once,
each able to log in through its own door; ``demo_totp`` for the agents' second factor."""

from __future__ import annotations

import datetime
import importlib
import io
import sys
import time

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.urls import reverse

from cpf.accounts import demo
from cpf.accounts.enums import AgentRole, UserKind
from cpf.accounts.models import FunderMembership, ProviderMembership, User
from cpf.holders.models import Holder, TermsAcceptance, TermsVersion
from cpf.holders.nir import parse_nir
from cpf.providers.enums import ProviderStatus
from cpf.rights.models import Funder
from tests.clock import TODAY
from tests.factories import ProviderFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

ALLOWED = {"DEBUG": True, "DEMO_LOGINS_ALLOWED": True}


@pytest.fixture
def referenced_provider():
    ProviderFactory(legal_name="Organisme en candidature", applying=True)
    return ProviderFactory(legal_name="Organisme référencé", status=ProviderStatus.REFERENCED)


def run(command: str = "create_demo_logins", *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def everything():
    return (
        sorted(User.objects.values_list("pk", "username", "kind", "password")),
        sorted(ProviderMembership.objects.values_list("pk", "user_id", "provider_id", "is_admin")),
        sorted(FunderMembership.objects.values_list("pk", "user_id", "funder_id", "is_admin")),
        sorted(Funder.objects.values_list("pk", "name")),
        sorted(Group.objects.values_list("name", flat=True)),
        TermsAcceptance.objects.count(),
    )


@pytest.mark.parametrize(
    "flags",
    [{"DEBUG": False, "DEMO_LOGINS_ALLOWED": True}, {"DEBUG": True, "DEMO_LOGINS_ALLOWED": False}],
    ids=["without DEBUG", "without the opt-in"],
)
@pytest.mark.parametrize("command", ["create_demo_logins", "demo_totp"])
def test_the_commands_refuse_unless_debug_and_the_opt_in(referenced_provider, flags, command):
    before = everything()
    args = ["agent.support"] if command == "demo_totp" else []

    with override_settings(**flags), pytest.raises(CommandError, match="qu'en développement"):
        run(command, *args)

    assert everything() == before


def test_production_settings_never_allow_them(monkeypatch):
    for name, value in {
        "SECRET_KEY": "a-production-like-secret-key",
        "FIELD_ENCRYPTION_KEYS": "a-key",
        "NIR_HASH_KEY": "a-hash-key",
        "TRUSTED_PROXY_COUNT": "0",
        "PAYOUT_DEBTOR_IBAN": "FR7640031000000000100000164",
        "DEMO_LOGINS_ALLOWED": "1",
        "DEBUG": "1",
    }.items():
        monkeypatch.setenv(name, value)
    # Both read afresh: production takes DEBUG from base, which reads the environment.
    monkeypatch.delitem(sys.modules, "config.settings.production", raising=False)
    monkeypatch.delitem(sys.modules, "config.settings.base", raising=False)

    production = importlib.import_module("config.settings.production")

    assert (production.DEBUG, production.DEMO_LOGINS_ALLOWED) == (True, False)


@override_settings(**ALLOWED)
def test_one_login_per_audience_is_created_once(referenced_provider):
    first_output = run()
    after_first = everything()

    second_output = run()

    assert everything() == after_first
    kinds = sorted(User.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [UserKind.HOLDER, UserKind.PROVIDER_MEMBER, UserKind.FUNDER_MEMBER] + [UserKind.AGENT] * 5
    )
    assert ProviderMembership.objects.get().provider == referenced_provider
    assert ProviderMembership.objects.get().is_admin and FunderMembership.objects.get().is_admin
    assert FunderMembership.objects.get().funder.name == "OPCO de démonstration"
    for output in (first_output, second_output):
        assert f"mot de passe commun : {demo.PASSWORD}" in output
        for login in ("1 77 03 92 050 013 85", "organisme@demo.example", "financeur@demo.example"):
            assert login in output
        for role in AgentRole:
            assert f"agent.{role.value}" in output
        assert "(Organisme référencé)" in output


@override_settings(**ALLOWED)
def test_the_holder_is_a_sample_holder_with_its_identity_and_the_current_terms(referenced_provider):
    TermsVersion.objects.create(version="2020", in_force_from=datetime.date(2020, 1, 1), text="CGU")

    run()

    holder = Holder.objects.for_nir(parse_nir("177039205001385")).get()
    assert (holder.user.email, holder.user.email_confirmed, holder.birth_name, holder.birth_date.month) == (
        "titulaire@demo.example",
        True,
        "MOREAU",
        3,
    )
    current = TermsVersion.objects.current(TODAY)
    assert list(holder.terms_acceptances.values_list("terms", flat=True)) == [current.pk]


@override_settings(**ALLOWED)
def test_agents_are_put_in_the_groups_of_their_roles(referenced_provider):
    run()

    for role in AgentRole:
        agent = User.objects.get(username=f"agent.{role.value}")
        assert (agent.is_staff, agent.is_superuser) == (True, False)
        assert list(agent.groups.values_list("name", flat=True)) == [role.value]


@override_settings(**ALLOWED)
def test_without_a_referenced_provider_the_others_are_still_created():
    output = run()

    assert "aucun organisme référencé" in output
    assert not User.objects.filter(kind=UserKind.PROVIDER_MEMBER).exists()
    assert User.objects.count() == 7


@override_settings(**ALLOWED)
def test_a_holder_who_signed_up_keeps_their_password(referenced_provider):
    run()
    holder_login = User.objects.get(kind=UserKind.HOLDER)
    holder_login.email = "moi@exemple.fr"
    holder_login.set_password("MonSecret2026")
    holder_login.save()

    output = run()

    assert "son mot de passe n'a pas été changé" in output
    assert User.objects.get(kind=UserKind.HOLDER).check_password("MonSecret2026")


@override_settings(**ALLOWED)
def test_the_holder_logs_in_with_the_nir_at_the_holders_door(client, referenced_provider):
    run()

    response = client.post(
        reverse("www:holder:login"), {"nir": "1 77 03 92 050 013 85", "password": demo.PASSWORD}
    )

    assert response["Location"] == reverse("www:holder:rights")
    assert client.get(reverse("www:holder:rights")).status_code == 200


@override_settings(**ALLOWED)
@pytest.mark.parametrize(
    "email, space",
    [("organisme@demo.example", "www:provider:members"), ("financeur@demo.example", "www:funder:members")],
)
def test_members_log_in_with_their_address_at_the_professional_door(
    client, referenced_provider, email, space
):
    run()

    response = client.post(
        reverse("www:members:login"), {"email": email, "password": demo.PASSWORD}, follow=True
    )

    assert response.status_code == 200
    organisation_id = response.resolver_match.kwargs.popitem()[1]
    content = client.get(reverse(space, args=[organisation_id])).content.decode()
    assert "Inviter une personne" in content  # an administrator of the organisation


@override_settings(**ALLOWED)
@pytest.mark.parametrize("role", list(AgentRole))
def test_agents_log_in_with_their_username_at_the_back_office_door(client, referenced_provider, role):
    run()
    username = f"agent.{role.value}"

    user = authenticate(RequestFactory().post("/admin/login/"), username=username, password=demo.PASSWORD)
    asked = client.post(reverse("admin:login"), {"username": username, "password": demo.PASSWORD})
    code = demo.current_totp(username, at=time.time())[0]  # the clock is frozen by the fixture
    response = client.post(reverse("admin:login_code"), {"code": code})

    assert user is not None and user.is_staff
    assert (asked.status_code, asked["Location"]) == (302, reverse("admin:login_code"))
    assert (response.status_code, response["Location"]) == (302, "/admin/")


@pytest.mark.skipif(demo.totp_installed(), reason="the second factor is installed")
@override_settings(**ALLOWED)
def test_demo_totp_says_when_the_second_factor_is_not_installed():
    with pytest.raises(CommandError, match="n'est pas installée"):
        run("demo_totp", "agent.support")


@pytest.mark.skipif(not demo.totp_installed(), reason="the second factor (django-otp) is not installed")
@override_settings(**ALLOWED)
def test_each_agent_gets_a_confirmed_totp_device_with_a_fixed_key_and_demo_totp_gives_its_code(
    referenced_provider,
):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    output = run()
    run()

    device = TOTPDevice.objects.get(user__username="agent.support")
    assert TOTPDevice.objects.count() == 5
    assert (device.confirmed, device.key) == (True, demo.totp_key("agent.support"))
    assert "agent.support : " in output
    with time_machine.travel(1_800_000_000, tick=False):
        code = run("demo_totp", "agent.support").strip()
        assert code == f"{totp(device.bin_key):06d}"
        assert device.verify_token(code)
