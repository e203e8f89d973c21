import './console.css';

export type { Actions } from './actions.js';
export { useActions } from './actions.js';
export type { ApiRequestOptions } from './api.js';
export { ApiError, apiRequest } from './api.js';
export type {
  ButtonProps,
  ErrorNoticeProps,
  FieldProps,
  LiveStatusProps,
  SecretOnceProps,
  SecretsShownOnceProps,
  SelectFieldProps,
  ShownSecret,
  TableProps,
} from './parts.js';
export {
  Button,
  ErrorNotice,
  Field,
  LiveStatus,
  SecretOnce,
  SecretsShownOnce,
  SelectField,
  Table,
} from './parts.js';
export type { ConsoleShellProps, ShownSecrets } from './shell.js';
export { ConsoleShell, mountConsole, useShownSecrets } from './shell.js';
