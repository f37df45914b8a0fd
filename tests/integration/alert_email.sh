#!/usr/bin/env bash
# alert_email.sh - e-mail through a real SMTP server on loopback (Debian's
# python3-aiosmtpd) that requires STARTTLS and AUTH, with a self-signed
# certificate given to the agent as ca_file (verification stays on). The
# password comes from a KEY_file and never shows in any output.
. tests/integration/lib.sh

if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	echo "# python3-aiosmtpd not installed (scripts/install-deps)"
	not_ok "python3-aiosmtpd available"
	exit 1
fi
# AUTH (AuthResult, LoginPassword) came with aiosmtpd 1.3; Debian 11 has 1.2.
if ! /usr/bin/python3 -c 'from aiosmtpd.smtp import AuthResult' 2>/dev/null; then
	ok "# SKIP python3-aiosmtpd $(/usr/bin/python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null) has no AUTH support (1.3 or later needed)"
	exit 0
fi
dir=$TEST_TMP
mkdir -p "$dir/mail"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" \
	-out "$dir/cert.pem" >/dev/null 2>&1
/usr/bin/python3 tests/integration/alert_smtp_server.py "$dir/port" "$dir/mail" \
	"$dir/cert.pem" "$dir/key.pem" alerts "Pa55-w0rd-smtp" 2>"$dir/smtp.err" &
TEST_PIDS+=($!)
check "smtp server is up" wait_for 20 test -s "$dir/port"
port=$(cat "$dir/port")
printf 'Pa55-w0rd-smtp\n' >"$dir/smtp-password"
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'hostname = "mail-07"' \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.email]' "url = \"smtp://127.0.0.1:$port\"" \
	'username = "alerts"' "password_file = \"$dir/smtp-password\"" \
	'from = "sysops-agent@example.org"' \
	'to = ["ops@example.org", "oncall@example.org"]' \
	"ca_file = \"$dir/cert.pem\""

"$AGENT" test-alert -c "$dir/agent.toml" --channel email >"$dir/test.out" 2>&1
check "test-alert sends over STARTTLS with AUTH" grep -q "^email: ok (250)" "$dir/test.out"

start_feed "$dir/daemon.log" "$dir/agent.toml"
# The feed gives every event the value 93.5: the push line says it.
feed "fire oom_kill critical - Out of memory: killed process 4242 (java)"
check "the alert arrives as a mail" wait_for 20 test -s "$dir/mail/2.eml"
check "envelope: sender, both recipients, TLS, authenticated" \
	/usr/bin/python3 - "$dir/mail/2.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
sys.exit(0 if e == {"from": "sysops-agent@example.org",
                    "to": ["ops@example.org", "oncall@example.org"],
                    "tls": True, "authenticated": True} else 1)
PY
check "a well-formed RFC 5322 message" /usr/bin/python3 - "$dir/mail/2.eml" <<'PY'
import email, email.policy, email.utils, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.strict)
ok = (m["From"] == "sysops-agent@example.org" and
      "oncall@example.org" in m["To"] and
      m["Subject"] == "[sysops] CRITICAL oom_kill 93.5 on mail-07" and
      email.utils.parsedate_to_datetime(m["Date"]) is not None and
      m["Message-ID"].startswith("<") and m["Message-ID"].endswith("@mail-07>") and
      m["MIME-Version"] == "1.0" and
      m.get_content_type() == "text/plain" and
      "killed process 4242" in m.get_content())
sys.exit(0 if ok else 1)
PY

# A wrong CA must fail verification, not be ignored.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other" \
	-keyout "$dir/other.key" -out "$dir/other.pem" >/dev/null 2>&1
sed "s|ca_file = .*|ca_file = \"$dir/other.pem\"|" "$dir/agent.toml" >"$dir/bad.toml"
chmod 0640 "$dir/bad.toml"
"$AGENT" test-alert -c "$dir/bad.toml" --channel email >"$dir/bad.out" 2>&1
check "an untrusted certificate is refused" grep -q "^email: FAILED: .*[Cc]ertificate" "$dir/bad.out"
grep -q "Pa55-w0rd-smtp" "$dir/test.out" "$dir/bad.out" "$dir/daemon.log"
check "the password appears in no output" test $? -ne 0
stop_pid "$DAEMON_PID"
