import { Router } from 'express';
import type { Core } from '../../shared/core';

// Placeholder while issue 4 is built.
export function webhooksRoutes(_core: Core): Router {
  return Router();
}
