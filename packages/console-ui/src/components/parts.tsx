import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** Props of {@link Button}. */
export interface ButtonProps {
  children: ComponentChildren;
  onClick?: () => void;
  type?: 'button' | 'submit';
  /** `danger` for revocations, `secondary` for the quieter actions. */
  variant?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
  /** Accessible name when the visible text alone is ambiguous (a row's "Rotate"). */
  label?: string;
}

/**
 * A native button (keyboard and screen readers for free), `type="button"` unless a submit.
 *
 * @example
 * <Button variant="danger" label={`Revoke ${key.name}`} onClick={revoke}>Revoke</Button>
 */
export function Button(props: ButtonProps): JSX.Element {
  return (
    <button
      type={props.type ?? 'button'}
      class={`btn btn-${props.variant ?? 'primary'}`}
      onClick={props.onClick}
      disabled={props.disabled}
      aria-label={props.label}
    >
      {props.children}
    </button>
  );
}

/** Props of {@link Field}. */
export interface FieldProps {
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'password' | 'search' | 'number';
  required?: boolean;
  autoComplete?: string;
  /** A line under the input, linked with `aria-describedby`. */
  hint?: string;
  maxLength?: number;
  name?: string;
}

/**
 * A labelled input: the `<label for>` names it, the hint describes it.
 *
 * @example
 * <Field label="Email" type="email" value={email} onInput={setEmail} required autoComplete="email" />
 */
export function Field(props: FieldProps): JSX.Element {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value}
        required={props.required}
        maxLength={props.maxLength}
        autoComplete={props.autoComplete ?? 'off'}
        spellcheck={false}
        aria-describedby={props.hint === undefined ? undefined : hintId}
        onInput={(event) => props.onInput((event.currentTarget as HTMLInputElement).value)}
      />
      {props.hint === undefined ? null : (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** Props of {@link SelectField}. */
export interface SelectFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** Choices as `[value, text]`; an empty value is "any". */
  options: ReadonlyArray<readonly [string, string]>;
}

/**
 * A labelled native select.
 *
 * @example
 * <SelectField label="Licence type" value={type} onChange={setType} options={[['', 'Any'], ['CASP', 'CASP']]} />
 */
export function SelectField(props: SelectFieldProps): JSX.Element {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(event) => props.onChange((event.currentTarget as HTMLSelectElement).value)}
      >
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Props of {@link ErrorNotice}. */
export interface ErrorNoticeProps {
  /** What went wrong: an {@link ApiError} shows its code and message; nothing shows nothing. */
  error: unknown;
}

/**
 * An API error as the API gave it, code and message, announced to screen readers (`role="alert"`).
 *
 * @example
 * <ErrorNotice error={error} />
 */
export function ErrorNotice({ error }: ErrorNoticeProps): JSX.Element | null {
  if (error === undefined || error === null) return null;
  const code = error instanceof ApiError ? error.code : 'ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="notice notice-error" role="alert">
      <strong class="code">{code}</strong> <span>{message}</span>
    </div>
  );
}

/** Props of {@link SecretOnce}. */
export interface SecretOnceProps {
  /** What the secret is ("API key"). */
  label: string;
  value: string;
}

/**
 * A secret the API shows once: in a read-only field with a copy button and the warning that it
 * will not be shown again. Copying uses the asynchronous clipboard; where that is refused the
 * text is selected so the user can copy it by hand. The secret lives only in this component's
 * props (page memory).
 *
 * @example
 * <SecretOnce label="API key" value={registered.apiKey} />
 */
export function SecretOnce({ label, value }: SecretOnceProps): JSX.Element {
  const id = useId();
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setStatus(`${label} copied to the clipboard.`);
    } catch {
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      setStatus('Copying was refused: the text is selected, copy it with your keyboard.');
    }
  };
  return (
    <div class="secret">
      <label for={id}>{label}</label>
      <div class="secret-row">
        <input id={id} class="secret-value" type="text" readOnly value={value} spellcheck={false} />
        <Button onClick={() => void copy()} label={`Copy ${label}`}>
          Copy
        </Button>
      </div>
      <p class="notice notice-warning">
        This {label.toLowerCase()} will not be shown again. Store it somewhere safe now.
      </p>
      <LiveStatus text={status} />
    </div>
  );
}

/** One secret the API just answered with, as a panel shows it. */
export interface ShownSecret {
  label: string;
  value: string;
}

/** Props of {@link SecretsShownOnce}. */
export interface SecretsShownOnceProps {
  secrets: readonly ShownSecret[];
  /** The panel's heading, e.g. `Copy your new key now`. */
  title: string;
  /** The acknowledging button, e.g. `I have stored it`. */
  doneLabel: string;
  onDone: () => void;
}

/**
 * The panel of secrets the API answered with, each a {@link SecretOnce}; its heading takes the
 * focus whenever the set changes, so keyboard and screen-reader users land on it.
 *
 * @example
 * <SecretsShownOnce secrets={shown} title="Copy your new key now" doneLabel="I have stored it" onDone={clear} />
 */
export function SecretsShownOnce({ secrets, title, doneLabel, onDone }: SecretsShownOnceProps): JSX.Element {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [secrets.length]);
  return (
    <section class="card" aria-labelledby="secrets-title">
      <h2 id="secrets-title" tabIndex={-1} ref={heading}>
        {title}
      </h2>
      {secrets.map((secret) => (
        <SecretOnce key={secret.value} label={secret.label} value={secret.value} />
      ))}
      <Button variant="secondary" onClick={onDone}>
        {doneLabel}
      </Button>
    </section>
  );
}

/** Props of {@link LiveStatus}. */
export interface LiveStatusProps {
  /** What just happened ("Key "ci" revoked."); empty until something has. */
  text: string;
}

/**
 * The outcome of the last action, read out by screen readers when it changes (`role="status"`,
 * polite): always rendered, empty or not, so the live region exists before its first message.
 *
 * @example
 * <LiveStatus text={status} />
 */
export function LiveStatus({ text }: LiveStatusProps): JSX.Element {
  return (
    <p class="copy-status" role="status" aria-live="polite">
      {text}
    </p>
  );
}

/** Props of {@link Table}. */
export interface TableProps {
  /** The column headings, in order. */
  columns: readonly string[];
  /** What the table shows, as its caption; none when omitted. */
  caption?: string;
  /** The rows: `<tr>` elements. */
  children: ComponentChildren;
}

/**
 * A table with column headings (`scope="col"`) in a wrapper that scrolls sideways on its own, so
 * a wide table never makes the page scroll on a narrow screen.
 *
 * @example
 * <Table columns={['Name', 'Status']} caption="Your keys.">
 *   {keys.map((key) => <tr key={key.id}><td>{key.name}</td><td>{key.status}</td></tr>)}
 * </Table>
 */
export function Table({ columns, caption, children }: TableProps): JSX.Element {
  return (
    <div class="table-wrap">
      <table>
        {caption === undefined ? null : <caption class="hint">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
