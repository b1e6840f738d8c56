"""The migration to hashed API tokens: keys issued before it keep working, and the database keeps none."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.models import ApiToken

BEFORE = [("accounts", "0003_login_lockouts")]


@pytest.mark.django_db(transaction=True)
def test_existing_tokens_are_hashed_and_keep_working(make_user):
    user = make_user("board", "Viewers")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    key = secrets.token_hex(20)  # as DRF made them (a historical model has no custom save())
    old.get_model("authtoken", "Token").objects.create(user_id=user.pk, key=key)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Forward past 0004_hashed_api_tokens to the end: going back undid the later migrations of other apps that
    # depend on accounts, and the rest of the run needs their tables.
    executor.migrate(executor.loader.graph.leaf_nodes())

    token = ApiToken.objects.get()
    assert token.user_id == user.pk and token.prefix == key[:8] and key not in token.key_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)  # the plain keys are gone
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/events/").status_code == 200
