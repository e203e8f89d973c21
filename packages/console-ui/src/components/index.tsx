import './console.css';

export type { ApiRequestOptions } from './api.js';
export { ApiError, apiRequest } from './api.js';
export type {
  ButtonProps,
  ErrorNoticeProps,
  FieldProps,
  SecretOnceProps,
  SecretsShownOnceProps,
  SelectFieldProps,
  ShownSecret,
} from './parts.js';
export { Button, ErrorNotice, Field, SecretOnce, SecretsShownOnce, SelectField } from './parts.js';
