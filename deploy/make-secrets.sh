#!/bin/sh
# Makes the secret files that compose.production.yml reads, in ./secrets
# beside it, each readable by its owner only. Run it once, as root (or with
# sudo), before the first `docker compose up`: the app's key file must
# belong to the image's user, uid 65532. Keep a copy of secrets/ apart from
# every backup of the database: without solidarity.keys the supporters'
# data cannot be read, and with it anyone holding a backup can read it.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
make() { # name, command: writes the file unless it exists
	if [ -e "secrets/$1" ]; then
		echo "secrets/$1 exists, kept"
	else
		sh -c "$2" >"secrets/$1"
		echo "secrets/$1 made"
	fi
}
make mongo_keyfile "openssl rand -base64 756"
make mongo_root_password "openssl rand -hex 24"
make mongo_app_password "openssl rand -hex 24"
make mongodb_uri "printf 'mongodb://solidarity:%s@mongo1:27017,mongo2:27017,mongo3:27017/solidarity?replicaSet=rs0&authSource=solidarity\n' \"\$(cat secrets/mongo_app_password)\""
make solidarity.keys "openssl rand -hex 32"
chown 65532:65532 secrets/solidarity.keys secrets/mongodb_uri
echo "Now set SOLIDARITY_DOMAIN (and SOLIDARITY_ACME_EMAIL) in .env and run: docker compose -f compose.production.yml up -d"
