#!/bin/bash
# Starts one member of the replica set "rs0" with internal authentication
# by keyfile. The member that has INIT_REPLICA_SET=true also, on its first
# start, initiates the set and creates its two users through the localhost
# exception (no user exists yet): "root" for the operator and "solidarity",
# which may read and write the solidarity database only, for the app. Later
# starts find the set initiated and the users made, and change nothing.
set -euo pipefail

# mongod refuses a keyfile that others may read; a Docker secret keeps the
# host file's owner and mode, so it is copied to one mongod owns alone.
install -m 0400 -o mongodb -g mongodb /run/secrets/mongo_keyfile /tmp/mongo-keyfile

if [ "${INIT_REPLICA_SET:-false}" = true ]; then
	(
		until mongosh --quiet --host 127.0.0.1 --eval 'db.adminCommand({ping: 1}).ok' >/dev/null 2>&1; do sleep 2; done
		mongosh --quiet --host 127.0.0.1 --file /dev/stdin <<'JS' || echo "mongo-replica: initiating the replica set failed; see above" >&2
const fs = require("fs");
const read = (name) => fs.readFileSync("/run/secrets/" + name, "utf8").trim();
let initiated = true;
try { rs.status(); } catch (e) { initiated = false; }
if (!initiated) {
  rs.initiate({_id: "rs0", members: [
    {_id: 0, host: "mongo1:27017", priority: 2},
    {_id: 1, host: "mongo2:27017", priority: 1},
    {_id: 2, host: "mongo3:27017", priority: 1},
  ]});
  while (!db.hello().isWritablePrimary) { sleep(1000); }
  const admin = db.getSiblingDB("admin");
  admin.createUser({user: "root", pwd: read("mongo_root_password"), roles: ["root"]});
  admin.auth("root", read("mongo_root_password"));
  db.getSiblingDB("solidarity").createUser({user: "solidarity", pwd: read("mongo_app_password"),
    roles: [{role: "readWrite", db: "solidarity"}]});
  print("mongo-replica: replica set rs0 initiated, users root and solidarity created");
}
JS
	) &
fi

exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile /tmp/mongo-keyfile
