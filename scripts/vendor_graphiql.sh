#!/usr/bin/env bash
# Re-vendor the GraphiQL assets under schema/static/graphiql from the npm registry (needs npm). The versions
# match the page strawberry renders (strawberry/static/graphiql.html); schema/graphiql.py maps its CDN URLs
# to these files.
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/schema/static/graphiql"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent graphiql@3.8.3 @graphiql/plugin-explorer@1.0.2 react@18.3.1 react-dom@18.3.1 js-cookie@3.0.5 >/dev/null
for f in *.tgz; do mkdir "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
cp graphiql-3.8.3/package/graphiql.min.js graphiql-3.8.3/package/graphiql.min.css "$dest/"
cp graphiql-plugin-explorer-1.0.2/package/dist/index.umd.js "$dest/plugin-explorer.umd.js"
cp graphiql-plugin-explorer-1.0.2/package/dist/style.css "$dest/plugin-explorer.css"
cp react-18.3.1/package/umd/react.production.min.js "$dest/"
cp react-dom-18.3.1/package/umd/react-dom.production.min.js "$dest/"
cp js-cookie-3.0.5/package/dist/js.cookie.min.js "$dest/"
echo "vendored into $dest"
