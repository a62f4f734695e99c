import type { Route } from '../route-context.js';

// `POST /api/upload-image` arrives with issue 3's `uploadImage`; see the report.
export const uploadRoutes: Route[] = [];
