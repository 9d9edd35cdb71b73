import type { Api, DepartmentName, TrackResult } from './api.js';
import { locale } from './i18n.js';

/** What every page gets: where to draw, the services, and how to move to another page. */
export interface PageContext {
  readonly main: HTMLElement;
  readonly api: Api;
  readonly navigate: (path: string) => void;
  /** Answers kept for this visit, so a language switch redraws without asking again. */
  readonly cache: {
    readonly tracking: Map<string, TrackResult>;
    departments?: Promise<Map<string, DepartmentName>>;
  };
}

/** The window title: "<page> · 通办 Tongban", the site's name in both scripts either way. */
export function setTitle(page?: string): void {
  const site = locale() === 'zh-CN' ? '通办 Tongban' : 'Tongban 通办';
  document.title = page ? `${page} · ${site}` : site;
}
