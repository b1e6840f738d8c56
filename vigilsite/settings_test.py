"""Settings for the test suite: Vigil's own, with one change that only makes the tests faster.

Every test user's password is hashed once when it is made and again at each log-in; PBKDF2 at Django's
million iterations costs about 0.4 s a hash on a CI core, and the suite makes hundreds (Django's docs
recommend a fast hasher in tests). Worker processes a test starts inherit this module through
``DJANGO_SETTINGS_MODULE``, so a password set in the test is checked the same way there. PBKDF2 stays in
the list: hashes made elsewhere (a fresh install's administrator) still verify.
"""

from django.conf import global_settings

from vigilsite.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *global_settings.PASSWORD_HASHERS]
