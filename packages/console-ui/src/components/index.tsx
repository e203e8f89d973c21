import './console.css';

export type { ApiRequestOptions } from './api.js';
export { ApiError, apiRequest } from './api.js';
export type {
  ButtonProps,
  ErrorNoticeProps,
  FieldProps,
  SecretOnceProps,
  SelectFieldProps,
} from './parts.js';
export { Button, ErrorNotice, Field, SecretOnce, SelectField } from './parts.js';
