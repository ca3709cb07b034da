import { keyProblem, resolveSource } from '../../../worker-images/core/src/api/keys.js';

describe('keyProblem', () => {
  test.each([
    'uploads/cat.mp4',
    'a',
    'uploads/2024/06/My Video (final).mov',
    'uploads/100%.mp4', // a literal percent sign that is not an escape
    'uploads/caf%C3%A9.mp4', // an escape that decodes to something harmless
    'uploads/..hidden/x.mp4', // ".." inside a segment is just a name
    'uploads/a..b.mp4',
    'видео/файл.mp4',
  ])('accepts %j', (key) => {
    expect(keyProblem(key)).toBeUndefined();
  });

  test.each([
    ['', /empty/],
    ['../etc/passwd', /"\.\." segments/],
    ['uploads/../../secret', /"\.\." segments/],
    ['uploads/..', /"\.\." segments/],
    ['./x.mp4', /"\.\." segments/],
    ['/etc/passwd', /absolute/],
    ['uploads\\..\\x.mp4', /backslash/],
    ['uploads/a\u0000.mp4', /control/],
    ['uploads/a\n.mp4', /control/],
    ['uploads/a\u007f.mp4', /control/],
    ['uploads/a\u0085.mp4', /control/],
    ['%2e%2e/secret', /URL-encoded/],
    ['uploads/%2E%2E/%2e%2e/secret', /URL-encoded/],
    ['uploads/%252e%252e/secret', /URL-encoded/], // double-encoded
    ['%2fetc/passwd', /absolute.*URL-encoded/],
    ['uploads%5c..%5cx', /backslash.*URL-encoded/],
    ['uploads/a%00.mp4', /control.*URL-encoded/],
    ['uploads//x.mp4', /empty segments/],
    ['uploads/', /folder/],
    [' uploads/x.mp4', /whitespace/],
    ['https://evil.example/x.mp4', /not a URL/],
    ['x'.repeat(1025), /1024 bytes/],
    ['é'.repeat(513), /1024 bytes/], // 1026 bytes in UTF-8
  ])('rejects %j', (key, message) => {
    expect(keyProblem(key)).toMatch(message);
  });
});

describe('resolveSource', () => {
  test.each([
    ['uploads/cat.mp4', { bucket: 'videos', key: 'uploads/cat.mp4' }],
    ['s3://videos/uploads/cat.mp4', { bucket: 'videos', key: 'uploads/cat.mp4' }],
    ['S3://videos/a/b.mp4', { bucket: 'videos', key: 'a/b.mp4' }],
  ])('resolves %j', (source, expected) => {
    expect(resolveSource(source, 'videos')).toEqual(expected);
  });

  test.each([
    ['s3://other-bucket/uploads/cat.mp4', /must name the video bucket "videos", got "other-bucket"/],
    ['s3://videos', /object key after the bucket/],
    ['s3://videos/', /empty/],
    ['s3://videos/../other/x', /"\.\." segments/],
    ['s3://videos//etc/passwd', /absolute/],
    ['s3://', /got ""/],
  ])('rejects %j', (source, message) => {
    expect(() => resolveSource(source, 'videos')).toThrow(message);
  });
});
