#!/usr/bin/env bash
# A throwaway, single-node Ceph RGW on loopback: a real S3 API (SigV4, AWS error codes) for the
# demo, the tests and the benchmarks. One monitor, one OSD on a sparse file, one radosgw; no
# cephx, no manager. Debian packages: ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl.
#
#   s3-local.sh up DIR [S3_PORT=7480] [MON_PORT=6789]   prints the endpoint when it answers
#   s3-local.sh down DIR                                 stops what `up` started in DIR
#   s3-local.sh gc DIR                                   reclaims space of deleted objects now
#
# Credentials: access key CDCTESTACCESSKEY, secret CDCTESTSECRETKEY0123456789 (path-style).
set -euo pipefail
cmd=${1:?usage: s3-local.sh up|down|gc DIR [S3_PORT] [MON_PORT]}
dir=$(realpath -m "${2:?DIR required}")
s3_port=${3:-7480}
mon_port=${4:-6789}
conf="$dir/ceph.conf"

stop_daemons() {
  # RGW and OSD first, the monitor last; SIGTERM then SIGKILL after ~5 s: the data is disposable.
  for daemon in rgw osd mon; do
    pid=$(cat "$dir/run/$daemon.pid" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}

case "$cmd" in
  down) stop_daemons; exit 0 ;;
  gc) radosgw-admin -c "$conf" gc process --include-all >/dev/null; exit 0 ;;
  up) ;;
  *) echo "unknown command: $cmd" >&2; exit 2 ;;
esac

stop_daemons
rm -rf "$dir"
mkdir -p "$dir"/{run,log,mon,osd}
fsid=$(uuidgen)
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc secure
ms_bind_ipv6 = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 1
osd_crush_chooseleaf_type = 0
run_dir = $dir/run
log_file = $dir/log/\$name.log
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.cephpid
keyring = $dir/keyring
[mon]
mon_data = $dir/mon
[osd]
osd_data = $dir/osd
osd_objectstore = bluestore
bluestore_block_path = $dir/osd.block
bluestore_block_create = true
bluestore_block_size = 32212254720
osd_memory_target = 1073741824
[client.rgw.local]
rgw_frontends = beast endpoint=127.0.0.1:$s3_port
rgw_data = $dir/rgw
rgw_gc_obj_min_wait = 60
CONF
c=(-c "$conf")
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
ceph-mon "${c[@]}" -i a -f >"$dir/log/mon.out" 2>&1 &
echo $! >"$dir/run/mon.pid"
osd_uuid=$(uuidgen)
osd_id=$(timeout 60 ceph "${c[@]}" osd new "$osd_uuid")
ceph-osd "${c[@]}" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.out" 2>&1
ceph-osd "${c[@]}" -i "$osd_id" -f >"$dir/log/osd.out" 2>&1 &
echo $! >"$dir/run/osd.pid"
radosgw "${c[@]}" -n client.rgw.local -f >"$dir/log/rgw.out" 2>&1 &
echo $! >"$dir/run/rgw.pid"
for _ in $(seq 900); do
  curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$s3_port/" || { echo "RGW did not answer; see $dir/log" >&2; exit 1; }
radosgw-admin "${c[@]}" user create --uid=cdc --display-name=cdc \
  --access-key=CDCTESTACCESSKEY --secret-key=CDCTESTSECRETKEY0123456789 >/dev/null
echo "http://127.0.0.1:$s3_port"
