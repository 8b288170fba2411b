import t from 'tap';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket } from '../helpers/s3.ts';

t.test('the test S3 is a real RGW that checks signatures', async (t) => {
  const b = await createTestBucket('smoke');
  t.teardown(() => b.destroy());
  await b.client.send(new PutObjectCommand({ Bucket: b.name, Key: 'a.txt', Body: 'hello' }));
  t.same(await b.keys(), ['a.txt']);
  t.equal((await b.get('a.txt')).toString(), 'hello');
  const { createS3Client } = await import('../../src/shared/s3-client.ts');
  const bad = createS3Client({ ...b.config, secretAccessKey: 'wrong-secret' }, { maxAttempts: 1 });
  await t.rejects(bad.send(new PutObjectCommand({ Bucket: b.name, Key: 'b.txt', Body: 'x' })), { name: 'SignatureDoesNotMatch' });
  bad.destroy();
});
