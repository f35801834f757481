"""files-admin create-user --password warns that the password is visible to other users and
points to --password-stdin (issue 9); --password-stdin says nothing of the kind."""
import subprocess

from conftest import unique_email


def test_password_option_warns(admin):
    p = admin.run("create-user", "--email", unique_email("pwarn"), "--password", "s3cret-on-argv")
    assert p.returncode == 0
    assert "warning" in p.stderr and "--password-stdin" in p.stderr, p.stderr
    assert "s3cret-on-argv" not in p.stderr


def test_password_stdin_does_not_warn(stack):
    p = subprocess.run([stack.admin_path, "create-user", "--email", unique_email("pstdin"), "--password-stdin"],
                       input="s3cret-on-stdin\n", env=stack.child_env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert "warning" not in p.stderr, p.stderr
