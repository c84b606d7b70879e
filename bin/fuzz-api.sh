#!/usr/bin/env bash
# Fuzzes the shop's HTTP API with Schemathesis, from the gateway's own OpenAPI document.
#
#   bin/fuzz-api.sh install                  # only install Schemathesis (first use does it anyway)
#   bin/fuzz-api.sh run BASE_URL [OPTIONS]   # e.g. bin/fuzz-api.sh run http://127.0.0.1:3000 --max-examples 500
#
# `run` reads BASE_URL/api/openapi.json and tests every operation against BASE_URL. SHOP_TOKEN, when set,
# is sent as the bearer token (an admin token covers every protected route: `npm run token -- --role admin`).
# Checks: no 5xx, and every status, content type, header and body as the document says. OPTIONS go to
# `schemathesis run` as they are (--max-examples N, --phases examples,fuzzing, --seed N, ...).
#
# Schemathesis is a PyPI package: it lives in its own venv under ~/.cache (outside the repository),
# pinned, and installed on first use.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
VENV="${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/shop-schemathesis}"
ST="$VENV/bin/schemathesis"

install_schemathesis() {
	if [ -x "$ST" ] && "$VENV/bin/python" -c "import importlib.metadata as m; raise SystemExit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" 2>/dev/null; then
		return 0
	fi
	echo "[fuzz-api] installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
	python3 -m venv "$VENV"
	"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
}

case "${1:-}" in
install)
	install_schemathesis
	;;
run)
	base_url="${2:?usage: bin/fuzz-api.sh run BASE_URL [OPTIONS]}"
	shift 2
	install_schemathesis
	auth=()
	if [ -n "${SHOP_TOKEN:-}" ]; then auth=(--header "Authorization: Bearer $SHOP_TOKEN"); fi
	exec "$ST" run "$base_url/api/openapi.json" \
		--url "$base_url" \
		--checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
		--no-color \
		"${auth[@]}" \
		"$@"
	;;
*)
	sed -n '2,12p' "$0" >&2
	exit 2
	;;
esac
