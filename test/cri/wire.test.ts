// The hand-written codec against protobufjs (a test-only cross-check) and against edge cases.
import t from 'tap';
import protobuf from 'protobufjs';
import { encode, decode } from '../../src/cri/wire.ts';
import * as M from '../../src/cri/messages.ts';
import { ContainerConfig, StopContainerRequest } from '../helpers/cri-messages.ts';

// The same fields written as proto text, to let protobufjs produce and read reference bytes.
const PROTO = `
syntax = "proto3";
package t;
message ImageSpec { string image = 1; map<string,string> annotations = 2; string user_specified_image = 18; }
message ContainerMetadata { string name = 1; uint32 attempt = 2; }
message Mount { string container_path = 1; string host_path = 2; bool readonly = 3; }
enum ContainerState { CONTAINER_CREATED = 0; CONTAINER_RUNNING = 1; CONTAINER_EXITED = 2; CONTAINER_UNKNOWN = 3; }
message ContainerStatus {
  string id = 1; ContainerMetadata metadata = 2; ContainerState state = 3; int64 created_at = 4;
  int32 exit_code = 7; ImageSpec image = 8; string image_ref = 9; map<string,string> labels = 12;
  repeated Mount mounts = 14; string log_path = 15; string image_id = 17; uint64 unknown_big = 99; bytes unknown_bytes = 100;
  fixed32 unknown_f32 = 101; fixed64 unknown_f64 = 102;
}
message ContainerStatusResponse { ContainerStatus status = 1; map<string,string> info = 2; }
message ContainerStatusRequest { string container_id = 1; bool verbose = 2; }
message Container { string id = 1; string pod_sandbox_id = 2; }
message ListContainersResponse { repeated Container containers = 1; }
message StopContainerRequest { string container_id = 1; int64 timeout = 2; }
`;
const root = protobuf.parse(PROTO).root;
const T = (n: string) => root.lookupType(`t.${n}`);

t.test('decodes what protobufjs encodes, skipping unknown fields of every wire type', async (t) => {
  const Type = T('ContainerStatusResponse');
  const msg = Type.fromObject({
    status: {
      id: 'a'.repeat(64), metadata: { name: 'app', attempt: 3 }, state: 2, createdAt: '1714550400123456789',
      exitCode: -11, image: { image: 'localhost/x:1', annotations: { k: 'v' } }, imageRef: 'sha256:abc',
      labels: { 'io.kubernetes.pod.name': 'p', 'é': 'ü' }, mounts: [{ containerPath: '/a', hostPath: '/b', readonly: true }, { containerPath: '/c' }],
      logPath: '/var/log/pods/x/app/0.log', imageId: 'sha256:def', unknownBig: '18446744073709551615',
      unknownBytes: Buffer.from([1, 2, 3]), unknownF32: 7, unknownF64: '9',
    },
    info: { info: '{"sandboxID":"s1","pid":42}' },
  });
  const bytes = Type.encode(msg).finish();
  const d = decode(M.ContainerStatusResponse, bytes) as any;
  t.equal(d.status.id, 'a'.repeat(64));
  t.same(d.status.metadata, { name: 'app', attempt: 3 });
  t.equal(d.status.state, 'CONTAINER_EXITED');
  t.equal(d.status.created_at, '1714550400123456789', 'int64 nanoseconds keep full precision');
  t.equal(d.status.exit_code, -11, 'negative int32');
  t.same(d.status.image, { image: 'localhost/x:1', annotations: { k: 'v' } });
  t.same(d.status.labels, { 'io.kubernetes.pod.name': 'p', 'é': 'ü' });
  t.same(d.status.mounts, [{ container_path: '/a', host_path: '/b', readonly: true }, { container_path: '/c' }]);
  t.equal(d.status.log_path, '/var/log/pods/x/app/0.log');
  t.equal(d.status.image_id, 'sha256:def');
  t.same(d.info, { info: '{"sandboxID":"s1","pid":42}' });
});

t.test('protobufjs decodes what we encode', async (t) => {
  const req = encode(M.ContainerStatusRequest, { container_id: 'abc', verbose: true });
  t.same(T('ContainerStatusRequest').toObject(T('ContainerStatusRequest').decode(req)), { containerId: 'abc', verbose: true });
  const stop = encode(StopContainerRequest, { container_id: 'c', timeout: -1 });
  const s = T('StopContainerRequest').toObject(T('StopContainerRequest').decode(stop), { longs: String });
  t.same(s, { containerId: 'c', timeout: '-1' }, 'negative int64 as 10-byte varint');
});

t.test('round trip of nested, repeated, map and enum fields', async (t) => {
  const cfg = {
    metadata: { name: 'c', attempt: 1 }, image: { image: 'img' }, command: ['/bin/sh', '-c'], args: ['echo hi'],
    envs: [{ key: 'A', value: '1' }], labels: { a: 'b' }, log_path: 'c/0.log',
    linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  const back = decode(ContainerConfig, encode(ContainerConfig, cfg)) as any;
  // proto3 does not send defaults: ipc POD (0) comes back absent
  t.same(back, { ...cfg, linux: { security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER' } } } });
});

t.test('defaults are not sent; an empty message is zero bytes', async (t) => {
  t.equal(encode(M.ContainerStatusRequest, { container_id: '', verbose: false }).length, 0);
  t.same(decode(M.ContainerStatusResponse, new Uint8Array()), {});
});

t.test('truncated or malformed input throws instead of looping', async (t) => {
  const good = encode(M.ContainerStatusRequest, { container_id: 'abcdef', verbose: true });
  t.throws(() => decode(M.ContainerStatusRequest, good.subarray(0, 4)), /truncated/);
  t.throws(() => decode(M.ContainerStatusRequest, Buffer.from([0x80, 0x80])), /truncated varint/);
  t.throws(() => decode(M.ContainerStatusRequest, Buffer.from([0x0b])), /wire type/, 'group wire types are refused');
  t.throws(() => decode(M.ContainerStatusRequest, Buffer.from([0x0d, 1, 2, 3, 4])), /wire type/, 'string field sent as fixed32');
});

t.test('ListContainersResponse repeated messages', async (t) => {
  const bytes = T('ListContainersResponse').encode({ containers: [{ id: '1', podSandboxId: 'p' }, { id: '2' }] }).finish();
  t.same(decode(M.ListContainersResponse, bytes), { containers: [{ id: '1', pod_sandbox_id: 'p' }, { id: '2' }] });
});
