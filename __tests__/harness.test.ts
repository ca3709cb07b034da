import { parseCommandFile, parseWorkflowCommands } from '../tools/harness.mjs';

describe('parseCommandFile (GITHUB_OUTPUT / GITHUB_STATE format)', () => {
  it('reads name=value lines; the value may contain "="', () => {
    expect(parseCommandFile('healthy=true\nreason=a=b\n\nempty=\n')).toEqual({
      healthy: 'true',
      reason: 'a=b',
      empty: '',
    });
  });

  it('reads the heredoc form (what @actions/core writes), multi-line values included', () => {
    const text = [
      'reason<<ghadelimiter_1234',
      'line one',
      'line two with name=value inside',
      '',
      'ghadelimiter_1234',
      'attempts<<ghadelimiter_99',
      '7',
      'ghadelimiter_99',
      'plain=x',
      '',
    ].join('\n');
    expect(parseCommandFile(text)).toEqual({
      reason: 'line one\nline two with name=value inside\n',
      attempts: '7',
      plain: 'x',
    });
  });

  it('an empty heredoc value is an empty string', () => {
    expect(parseCommandFile('reason<<EOF\nEOF\n')).toEqual({ reason: '' });
  });

  it('a later value for the same name wins', () => {
    expect(parseCommandFile('a=1\na<<D\n2\nD\n')).toEqual({ a: '2' });
  });

  it('ignores lines that are neither form', () => {
    expect(parseCommandFile('garbage\n=novalue\nok=1')).toEqual({ ok: '1' });
  });
});

describe('parseWorkflowCommands', () => {
  it('finds commands with and without properties, unescaping the message', () => {
    const stdout = [
      'plain log line',
      '::add-mask::s3cr3t',
      '::error::Invalid input — interval: expected a duration',
      '::warning file=a.ts,line=3::two%0Alines 100%25',
      '::debug::x::y',
      '  ::error::indented is not a command',
      '::set-output name=x::1',
      '',
    ].join('\n');
    expect(parseWorkflowCommands(stdout)).toEqual([
      { command: 'add-mask', props: '', message: 's3cr3t' },
      { command: 'error', props: '', message: 'Invalid input — interval: expected a duration' },
      { command: 'warning', props: 'file=a.ts,line=3', message: 'two\nlines 100%' },
      { command: 'debug', props: '', message: 'x::y' },
      { command: 'set-output', props: 'name=x', message: '1' },
    ]);
  });

  it('nothing to find', () => {
    expect(parseWorkflowCommands('')).toEqual([]);
    expect(parseWorkflowCommands('hello\nworld')).toEqual([]);
  });
});
