/** Next.js App Router: `app/api/[...path]/route.ts` serves every endpoint (runtime: nodejs). */
import { handler } from '../../../../shared.js';

export const GET = handler;
export const POST = handler;
export const OPTIONS = handler;
export const dynamic = 'force-dynamic';
