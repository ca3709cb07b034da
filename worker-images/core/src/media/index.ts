/**
 * Media pipeline of the processing core: local source file in, HLS ladder + thumbnail out.
 *
 * Typical worker use:
 *
 *   const gpu = await selectEncoder();                   // once at start-up; log gpu.reason
 *   const hlsDir = join(workDir, HLS_DIR);
 *   const r = await processVideo({
 *     input: sourcePath, workDir, encoder: gpu.encoder, signal,
 *     onProgress: (pct) => throttledProgressEvent(pct),   // 0–100, non-decreasing; throttle yourself
 *     onSegment: (rel) => uploads.add(() => put(outputKeys.file(jobId, rel), join(hlsDir, rel))),
 *   });
 *   // then: the r.files not yet uploaded (the playlists), r.thumbnailPath → outputKeys.thumbnail(jobId),
 *   // and master.m3u8 LAST (the commit marker); report `ready` with r.renditions and r.durationSeconds.
 *
 * API (signatures):
 *   selectEncoder(o?: { ffmpegPath?; timeoutMs? = 15000; prefer?: 'auto'|'gpu'|'cpu' }): Promise<EncoderChoice>
 *     → { encoder: 'h264_nvenc' | 'libx264', reason: string }; never rejects.
 *   processVideo(o: ProcessVideoOptions): Promise<ProcessVideoResult>
 *     o: { input, workDir, encoder? = 'libx264', ladder?, hlsTime? = 6, minSegmentsPerVariant? = 1,
 *          onProgress?(pct), onSegment?(rel), signal?, stallTimeoutMs?, log?(msg), ffmpegPath?, ffprobePath? }
 *     r: { outDir, masterPath, thumbnailPath, renditions, files, encodeSeconds, thumbnailSeconds,
 *          info: MediaInfo, plan: LadderPlan, encoder, durationSeconds, validation }
 *     Files: `<workDir>/hls/master.m3u8`, `<workDir>/hls/<rung>/index.m3u8`, `<workDir>/hls/<rung>/seg_NNN.ts`,
 *     `<workDir>/thumbnail.jpg`. `files` = HLS paths relative to `<workDir>/hls` (the `rel` of outputKeys.file):
 *     segments, then media playlists, then master.m3u8 last.
 *   encodeOnly(source, o?): Promise<{ durationSeconds, wallSeconds, encodeSeconds, encoder }> — bench baseline.
 *   Building blocks: probe(input, o?): Promise<MediaInfo>; planLadder(source, o?): LadderPlan;
 *   buildLadderArgs(i): string[]; buildThumbnailArgs(i): string[]; transcode(o): Promise<TranscodeResult>;
 *   validateHls(outDir, o?): Promise<ValidationReport>; isOutputComplete(outDir): Promise<boolean>.
 *
 * Errors:
 *   PermanentJobError (contracts.ts) — unreadable input, no video stream, no duration: fail the job, no retry.
 *   TranscodeCancelledError — `signal` fired; ffmpeg has exited; `cause` = signal.reason. The HLS dir keeps
 *     `.incomplete` and has no master.m3u8.
 *   FfmpegError { exitCode, stderrTail }, HlsValidationError { problems }, other Errors — retryable.
 *
 * onSegment fires while ffmpeg runs, once per segment, as soon as that segment file is final (ffmpeg writes
 * `seg_NNN.ts.tmp` and renames it). It must not throw (a throw cancels the encode and rejects with it). After
 * an NVENC failure processVideo re-encodes once with libx264 and reports the same paths again: overwrite.
 */
export { PermanentJobError } from '../contracts.js';
export type { MediaInfo, ProbeOptions } from './probe.js';
export { probe, parseProbe, probeArgs } from './probe.js';
export type { AudioPlan, LadderOptions, LadderPlan, LadderSource, Rung, RungSpec } from './ladder.js';
export { DEFAULT_RUNGS, planLadder } from './ladder.js';
export type { CommandSource, LadderArgsInput, ThumbnailArgsInput, VideoEncoder } from './ffmpeg-args.js';
export {
  HLS_TIME_SECONDS,
  MASTER_PLAYLIST,
  MEDIA_PLAYLIST,
  THUMBNAIL_AT_SECONDS,
  buildLadderArgs,
  buildThumbnailArgs,
  canGpuDecode,
  thumbnailTime,
} from './ffmpeg-args.js';
export type { TranscodeOptions, TranscodeResult } from './transcode.js';
export {
  FfmpegError,
  INCOMPLETE_MARKER,
  TranscodeCancelledError,
  isOutputComplete,
  transcode,
} from './transcode.js';
export type {
  MasterVariant,
  MediaPlaylist,
  ValidateOptions,
  ValidationReport,
  VariantReport,
} from './validate.js';
export {
  HlsValidationError,
  MIN_SEGMENTS_PER_VARIANT,
  checkKeyframeAlignment,
  parseMasterPlaylist,
  parseMediaPlaylist,
  validateHls,
} from './validate.js';
export type { EncoderChoice, SelectEncoderOptions } from './gpu.js';
export { nvencSelfTestArgs, selectEncoder } from './gpu.js';
export type { EncodeOnlyResult, ProcessVideoOptions, ProcessVideoResult } from './pipeline.js';
export { HLS_DIR, THUMBNAIL_FILE, encodeOnly, processVideo } from './pipeline.js';
