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
  status: string
  status_name: string
  occurred_at: string
  note: string | null
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
  distance_m?: number
}

export interface Category {
  code: string
  name: string
  icon?: string
  minors?: Category[]
}

export interface Catalog {
  request_types: { code: string; name: string; needs_category: boolean }[]
  categories: Category[]
}
