#!/bin/sh
# Refreshes the GraphiQL assets vendored in django_graphql_auto/static/django_graphql_auto/graphiql/.
#
# GraphiQL must work without internet access, so its browser builds are copied into the package
# and served by `graphiql_asset`. This script fetches the exact versions below from the npm
# registry with `npm pack` (no install, no scripts run) and copies the UMD production builds,
# their licences and a VERSIONS.txt with each tarball's integrity hash.
#
# To upgrade: change a version, run `sh tests/http_audit/vendor_graphiql.sh` from the repo root,
# check the page in a browser (GraphiQL's UMD build expects the React/ReactDOM globals) and
# update the file list in django_graphql_auto/transport/graphiql.py if a file name changed.
set -eu

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DEST="$ROOT/django_graphql_auto/static/django_graphql_auto/graphiql"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
unpack() { mkdir "$1" && tar -xzf "$1-$2.tgz" -C "$1"; }
unpack graphiql "$GRAPHIQL_VERSION"
unpack react "$REACT_VERSION"
unpack react-dom "$REACT_VERSION"

mkdir -p "$DEST"
cp graphiql/package/graphiql.min.js graphiql/package/graphiql.min.css "$DEST/"
cp react/package/umd/react.production.min.js "$DEST/"
cp react-dom/package/umd/react-dom.production.min.js "$DEST/"
cp graphiql/package/LICENSE "$DEST/LICENSE.graphiql.txt"
cp react/package/LICENSE "$DEST/LICENSE.react.txt"

{
    echo "Vendored by tests/http_audit/vendor_graphiql.sh (npm pack); do not edit by hand."
    for spec in "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION"; do
        echo "$spec $(npm view "$spec" dist.integrity)"
    done
} >"$DEST/VERSIONS.txt"

ls -l "$DEST"
