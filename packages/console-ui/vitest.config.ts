import { portcullisVitestConfig } from '../../vitest.shared.js';

export default portcullisVitestConfig(import.meta.dirname);
