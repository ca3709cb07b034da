/** Moving files in and out of a bucket (the emulator's, in local runs and tests). */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** Puts a local file at `key`; multipart past 5 MiB, as a browser or CLI upload of a real video would be. */
export async function uploadFile(s3: S3Client, bucket: string, path: string, key: string): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: readFileSync(path) },
    partSize: 5 * 1024 * 1024,
  }).done();
}

/** Downloads every object under `prefix` into `dir` (keys relative to the prefix); returns the keys. */
export async function downloadPrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  dir: string,
): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const keys = (out.Contents ?? []).map((c) => c.Key!).sort();
  for (const key of keys) {
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const file = join(dir, key.slice(prefix.length));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(await obj.Body!.transformToByteArray()));
  }
  return keys;
}
