/**
 * The pages' words in Simplified Chinese and English. The language is the one the resident
 * chose (remembered in localStorage), else the first of the browser's languages we speak, else
 * Chinese; it is also set on <html lang> so screen readers pronounce the page correctly.
 */

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];

const zh = {
  siteName: '通办',
  tagline: '一次申请，部门共享。',
  skipToMain: '跳到主要内容',
  navLabel: '主导航',
  navHome: '首页',
  navTrack: '查询办件',
  switchTo: 'English',
  switchToLabel: 'Switch to English',
  homeTitle: '通办',
  homeIntro: '在一个窗口申请政务服务，所需材料由各部门共享，无需重复提交复印件。',
  trackFormTitle: '查询办件进度',
  trackFormHint: '输入回执上的 20 位查询码，或扫描回执上的二维码。',
  trackCodeLabel: '查询码',
  trackSubmit: '查询',
  statusTitle: '服务状态',
  statusService: '服务',
  statusState: '状态',
  serviceIdentity: '身份',
  serviceWorkflow: '办件',
  serviceRecords: '档案',
  stateChecking: '检查中…',
  stateReady: '就绪',
  stateUnavailable: '不可用',
  stateUnreachable: '无法连接',
  trackTitle: '办件进度',
  trackLoading: '正在查询…',
  trackMalformed: '这不是有效的查询码。查询码为回执上印的 20 位字母和数字。',
  trackNotFound: '没有找到与此查询码对应的办件。请核对回执上的查询码。',
  trackFailed: '暂时无法查询，请稍后再试。',
  trackPrivacy: '此页面只显示办理进度，不显示任何个人信息。',
  trackAnother: '查询其他办件',
  caseNumber: '办件编号',
  caseService: '事项',
  caseStatus: '状态',
  caseSubmitted: '受理时间',
  caseDue: '承诺办结',
  caseCompleted: '办结时间',
  dueBy: (date: string) => `${date}（含）前`,
  stagesTitle: '办理环节',
  stageDepartment: '部门',
  stageOpened: '开始办理',
  stageDue: '期限',
  stageDecided: '办结',
  notYet: '—',
  timesNote: '时间均为北京时间。',
  caseStatuses: {
    in_progress: '办理中',
    awaiting_information: '等待补充材料',
    approved: '已办结：准予办理',
    rejected: '已办结：不予办理',
    withdrawn: '已撤回',
  } as Record<string, string>,
  stageStatuses: {
    waiting: '等待前序环节',
    open: '办理中',
    awaiting_information: '等待补充材料',
    approved: '已通过',
    rejected: '未通过',
    cancelled: '已取消',
  } as Record<string, string>,
  pageResident: '居民页面',
  pageCounter: '窗口页面',
  pageDepartment: '部门工作台',
  notFoundTitle: '找不到此页面',
  notFoundBody: '请检查网址，或返回首页。',
};

export type Messages = typeof zh;

const en: Messages = {
  siteName: 'Tongban',
  tagline: 'Apply once; the departments share what they already hold.',
  skipToMain: 'Skip to main content',
  navLabel: 'Main',
  navHome: 'Home',
  navTrack: 'Track a case',
  switchTo: '中文',
  switchToLabel: '切换到中文',
  homeTitle: 'Tongban',
  homeIntro:
    'Apply for a government service at one counter; the departments share the records they already hold, so you bring no photocopies.',
  trackFormTitle: 'Track a case',
  trackFormHint: 'Enter the 20-character tracking code on your receipt, or scan its QR code.',
  trackCodeLabel: 'Tracking code',
  trackSubmit: 'Track',
  statusTitle: 'Service status',
  statusService: 'Service',
  statusState: 'Status',
  serviceIdentity: 'Identity',
  serviceWorkflow: 'Workflow',
  serviceRecords: 'Records',
  stateChecking: 'Checking…',
  stateReady: 'Ready',
  stateUnavailable: 'Unavailable',
  stateUnreachable: 'Unreachable',
  trackTitle: 'Case progress',
  trackLoading: 'Looking up the case…',
  trackMalformed:
    'This is not a valid tracking code. The code is the 20 letters and digits printed on your receipt.',
  trackNotFound: 'No case has this tracking code. Please check the code printed on your receipt.',
  trackFailed: 'The case cannot be looked up right now. Please try again later.',
  trackPrivacy: 'This page shows the progress of the case only, never any personal data.',
  trackAnother: 'Track another case',
  caseNumber: 'Case number',
  caseService: 'Service',
  caseStatus: 'Status',
  caseSubmitted: 'Accepted',
  caseDue: 'Due',
  caseCompleted: 'Completed',
  dueBy: (date: string) => `by the end of ${date}`,
  stagesTitle: 'Stages',
  stageDepartment: 'Department',
  stageOpened: 'Started',
  stageDue: 'Due',
  stageDecided: 'Decided',
  notYet: '—',
  timesNote: 'All times are Beijing time.',
  caseStatuses: {
    in_progress: 'In progress',
    awaiting_information: 'Waiting for more information',
    approved: 'Completed: approved',
    rejected: 'Completed: rejected',
    withdrawn: 'Withdrawn',
  },
  stageStatuses: {
    waiting: 'Waiting for earlier stages',
    open: 'In progress',
    awaiting_information: 'Waiting for more information',
    approved: 'Approved',
    rejected: 'Rejected',
    cancelled: 'Cancelled',
  },
  pageResident: 'Resident page',
  pageCounter: 'Counter page',
  pageDepartment: 'Department queue',
  notFoundTitle: 'Page not found',
  notFoundBody: 'Check the address, or go back to the home page.',
};

const MESSAGES: Record<Locale, Messages> = { 'zh-CN': zh, en };
const STORAGE_KEY = 'tongban.locale';

function isLocale(value: unknown): value is Locale {
  return LOCALES.includes(value as Locale);
}

/** The first of the browser's languages we speak: any zh-* is Chinese, any en-* English. */
export function localeFrom(languages: readonly string[]): Locale {
  for (const language of languages) {
    const lower = language.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'zh-CN';
}

function storedLocale(): Locale | undefined {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLocale(value) ? value : undefined;
  } catch {
    // Storage can be disabled (private mode, policy): the choice then lasts for this page only.
    return undefined;
  }
}

let chosen: Locale | undefined;

export function locale(): Locale {
  chosen ??= storedLocale() ?? localeFrom(navigator.languages ?? [navigator.language]);
  return chosen;
}

export function t(): Messages {
  return MESSAGES[locale()];
}

/** Switches the language, remembers it, and sets <html lang>. */
export function setLocale(next: Locale): void {
  chosen = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // see storedLocale
  }
  applyLocale();
}

export function applyLocale(): void {
  document.documentElement.lang = locale();
}

export function otherLocale(): Locale {
  return locale() === 'zh-CN' ? 'en' : 'zh-CN';
}
