/** AWS time from the Date header of EC2's answers, through the real SDK against the fake EC2. */
import { DescribeSecurityGroupRulesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AwsTime, watchAwsTime } from '../../src/dynamic-sg/aws-time.js';
import { FakeClock } from '../__fixtures__/fakes.js';
import { FakeEc2 } from '../../tools/aws/fake-ec2.js';

const G = 'sg-0123456789abcdef0';
const HOUR = 3_600_000;
let fake: FakeEc2;
let client: EC2Client;

beforeEach(async () => {
  fake = new FakeEc2().addGroup(G);
  await fake.start();
  client = new EC2Client({
    region: 'us-east-1',
    endpoint: fake.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  client.destroy();
  await fake.stop();
});

test('the offset is measured from an answer, and from an error answer too; reported once', async () => {
  fake.clockOffsetMs = 2 * HOUR;
  const told: number[] = [];
  const time = new AwsTime({ now: () => Date.now() }, (o) => told.push(o));
  watchAwsTime(client, time);
  expect(time.offsetMs).toBeUndefined();
  await client.send(new DescribeSecurityGroupRulesCommand({}));
  expect(Math.abs(time.offsetMs! - 2 * HOUR)).toBeLessThan(5_000);
  expect(Math.abs(time.now() - (Date.now() + 2 * HOUR))).toBeLessThan(5_000);

  fake.clockOffsetMs = -HOUR;
  fake.failGroup(G, 'UnauthorizedOperation', { status: 403 });
  await expect(
    client.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [G] }] })),
  ).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  expect(Math.abs(time.offsetMs! + HOUR)).toBeLessThan(5_000);
  expect(told).toHaveLength(1);
});

test('until measured, AWS time is the local clock; an unreadable Date is ignored', () => {
  const clock = new FakeClock(1_000_000);
  const time = new AwsTime(clock);
  expect(time.now()).toBe(1_000_000);
  time.observe('not a date');
  time.observe(undefined);
  expect(time.offsetMs).toBeUndefined();
  time.observe(new Date(1_000_000 + HOUR).toUTCString(), 1_000_000);
  // Whole seconds in the header: the middle of the second is taken.
  expect(time.offsetMs).toBe(HOUR + 500 - (1_000_000 % 1000));
});
