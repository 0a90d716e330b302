// The API's answers as the app reads them (the backend's msgspec Structs are the source).

export interface Photo {
  id: string
  width: number
  height: number
  thumb_url: string
  display_url: string
}

export interface TimelineEntry {
  action: string
  action_name: string
  status: string
  status_name: string
  occurred_at: string
  // What the citizen and followers are told at this step; staff-only notes never reach the phone.
  public_message: string | null
}

/** The desk's answer (答复) to an inquiry, suggestion, praise or a call for help it settled. */
export interface Reply {
  message: string
  replied_at: string
}

/** A request as its reporter sees it (RequestOut). */
export interface CitizenRequest {
  id: string
  tracking_no: string
  status: string
  status_name: string
  type: string
  category_code: string | null
  category_name: string | null
  description: string
  address: string | null
  photos: Photo[]
  created_at: string
  updated_at: string
  rating: { score: number; comment: string | null } | null
  timeline: TimelineEntry[] | null
  merged_into?: string | null
  reply: Reply | null
}

/** Someone's request as anyone may see it: nearby, or followed (PublicRequestOut). */
export interface PublicRequest {
  id: string
  type: string
  category_code: string | null
  category_name: string | null
  status: string
  status_name: string
  location: { lat: number; lng: number }
  created_at: string
  updated_at: string
  thumb_url: string | null
  // The start of the description, anything like a phone number masked.
  summary: string
  // The caller's own report (nearby sends the token when the phone has one).
  own: boolean
  following: boolean
  distance_m?: number
}

export interface Category {
  code: string
  // 部件 or 事件: two major classes can share a name (市容环境), the kind tells them apart.
  kind: 'component' | 'event'
  name: string
  icon?: string
  minors?: Category[]
}

export interface Catalog {
  request_types: { code: string; name: string; needs_category: boolean; reply_hours: number | null }[]
  categories: Category[]
}

/** A row of the staff triage queue (CaseSummary). */
export interface CaseSummary {
  id: string
  tracking_no: string
  status: string
  status_name: string
  type: string
  category_code: string | null
  category_name: string | null
  source: string
  // The Open311 client's name when `source` is 'open311'.
  source_client: string | null
  grid_code: string
  department_code: string | null
  department_name: string | null
  description: string
  address: string | null
  location: { lat: number; lng: number; accuracy_m: number | null }
  created_at: string
  updated_at: string
  deadline_at: string | null
  overdue: boolean
  version: number
  thumb_url: string | null
}

export interface CasePage {
  items: CaseSummary[]
  next_cursor: string | null
}

export interface StatusCounts {
  counts: Record<string, number>
  total: number
  overdue: number
}

export interface StaffTimelineEntry {
  action: string
  action_name: string
  status: string
  status_name: string
  actor_role: string
  actor: string | null
  occurred_at: string
  public_message: string | null
  internal_note: string | null
  photo_ids: string[]
}

/** A case in full, as staff see it (StaffCaseOut). */
export interface StaffCase {
  summary: CaseSummary
  description: string
  accuracy_m: number | null
  contact_phone: string | null
  // What an Open311 client sent of the reporter beside the phone.
  contact_name: string | null
  contact_email: string | null
  // Answers to the category's extra questions, already in words.
  attributes: { code: string; name: string; value: string }[]
  reporter: { id: string; kind: string; phone: string | null }
  photos: { photo: Photo; original_url: string; taken_at: string | null }[]
  timeline: StaffTimelineEntry[]
  rework_count: number
  merged_into: { id: string; tracking_no: string } | null
  rating: { score: number; comment: string | null } | null
  reply: Reply | null
  // The routing table's department for this case's category and grid, preselected when dispatching.
  suggested_department: { code: string; name: string } | null
  allowed_actions: string[]
}

/** Why a candidate may be the same problem; the list comes ranked by score, best first. */
export type LikenessReason = 'same_photo' | 'similar_photo' | 'same_category' | 'similar_text' | 'near' | 'same_time'

export interface DuplicateCandidate {
  case: CaseSummary
  distance_m: number
  // 0..1, how alike the two reports are.
  score: number
  reasons: LikenessReason[]
}

/** A reply template rendered for one case and action, in the caller's language. */
export interface RenderedTemplate {
  id: string
  title: string
  text: string
}

export interface ReplyTemplate {
  id: string
  action: string
  request_type: string | null
  category_code: string | null
  title_zh: string
  title_en: string
  text_zh: string
  text_en: string
  active: boolean
  updated_at: string
}

export interface RoutingRule {
  id: string
  category_code: string
  category_name: string
  grid_prefix: string | null
  department_code: string
  department_name: string
}

/** An Open311 client's key as listed: never the key itself, which is shown only when made. */
export interface ApiKey {
  id: string
  name: string
  prefix: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

export interface Department {
  code: string
  name: string
  active: boolean
}

export interface CaseFeature {
  geometry: { coordinates: [number, number] }
  properties: { id: string; tracking_no: string; status: string; category_code: string | null; overdue: boolean }
}

export interface Indicators {
  key: string | null
  name: string
  reported: number
  accepted: number
  acceptance_rate: number | null
  handled: number
  on_time: number
  on_time_rate: number | null
  reworked: number
  rework_rate: number | null
  closed: number
  closure_rate: number | null
  rated: number
  satisfaction: number | null
  replied: number
  replied_on_time: number
  reply_on_time_rate: number | null
}

export interface Overview {
  date_from: string
  date_to: string
  group_by: string
  total: Indicators
  groups: Indicators[]
}

/** One event of the staff live feed (GET /api/v1/staff/stream). */
export interface LiveEvent {
  id: string
  tracking_no: string
  status: string
  version: number
  action: string
}
