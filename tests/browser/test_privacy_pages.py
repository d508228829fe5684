"""自分のデータ, the audit log and the removal confirmation in Chromium (issue 19, item 5): a person downloads their
data and deletes their account; an org admin reads who exported a CSV and confirms a removal. axe-core finds
nothing critical or serious on these pages at phone and desktop sizes."""

import json

import pytest

from accounts.models import User
from audit.models import AuditEvent
from audit.services import record
from tests.browser.conftest import DESKTOP, PHONE, accessibility_problems, log_in
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_a_person_downloads_their_data_and_deletes_their_account(browser, live_server, organization, viewport):
    person = MembershipFactory(organization=organization).user
    MembershipFactory(organization=organization, role="org_admin")
    context, page = log_in(browser, live_server, person, viewport=viewport, bypass_csp=True, accept_downloads=True)
    page.click("text=自分のデータ")
    page.wait_for_url(f"{live_server.url}/accounts/my-data/")
    assert accessibility_problems(page) == []
    with page.expect_download() as download:
        page.click("text=JSON でダウンロード")
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == person.email and data["memberships"][0]["organization"] == organization.name

    page.fill("input[name=password]", "wrong-password")
    page.check("input[name=understood]")
    page.click("text=アカウントを削除する")
    page.wait_for_selector("text=パスワードが正しくありません。")
    page.fill("input[name=password]", PASSWORD)
    page.check("input[name=understood]")
    page.click("text=アカウントを削除する")
    page.wait_for_url(f"{live_server.url}/accounts/login/**")
    assert User.objects.get(pk=person.pk).deleted_at is not None
    context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP])
def test_an_org_admin_reads_the_log_and_confirms_a_removal(browser, live_server, organization, viewport):
    admin = MembershipFactory(organization=organization, role="org_admin").user
    hr = MembershipFactory(organization=organization, role="hr_manager").user
    member = MembershipFactory(organization=organization)
    record(organization_id=organization.pk, action=AuditEvent.Action.CSV_EXPORT, actor=hr, details={"view": "members"})
    context, page = log_in(browser, live_server, admin, viewport=viewport, bypass_csp=True)
    page.goto(f"{live_server.url}/org/audit/")
    page.wait_for_selector("td:text-is('CSVの出力')")
    assert page.locator(f"td:text-is('{hr.display_name}')").count() == 1
    assert accessibility_problems(page) == []

    page.goto(f"{live_server.url}/org/members/{member.pk}/")
    page.click("text=このメンバーの個人情報を組織の記録から削除する")
    page.wait_for_selector("h1:text-is('個人情報の削除（削除依頼への対応）')")
    assert accessibility_problems(page) == []
    page.click("button:text-is('個人情報を削除する')")
    page.wait_for_selector("h1:text-is('退会者')")
    context.close()
