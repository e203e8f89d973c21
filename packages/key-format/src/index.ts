export type {
  InstanceKeyParseResult,
  ParsedInstanceKey,
  ParseInstanceKeyOptions,
} from './instance-key.js';
export { generateInstanceKey, generateInstanceRef, keyPreview, parseInstanceKey } from './instance-key.js';
export type {
  ManagementTokenParseResult,
  MicaKeyParseResult,
  ParsedManagementToken,
  ParsedMicaKey,
} from './mica.js';
export {
  generateManagementToken,
  generateMicaKey,
  micaKeyHint,
  micaKeyPrefix,
  parseManagementToken,
  parseMicaKey,
} from './mica.js';
export { REDACTED_MISSING, REDACTED_UNKNOWN, redactKey } from './redact.js';
export type { KeyParseFailure, KeyParseFailureReason } from './result.js';
export { MAX_KEY_LENGTH } from './result.js';
export type { ParsedTcsKey, ParseTcsKeyOptions, TcsKeyParseResult } from './tcs-key.js';
export { generateTcsKey, parseTcsKey } from './tcs-key.js';
