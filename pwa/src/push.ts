// Web Push on this device, per face of the app: whether it can work here, our own question at the
// right moment (never on first load), subscribing with the server's VAPID key and telling the server
// under the face's token, keeping the server in step (a new endpoint, another language), and turning
// it off again.
import type { Locale } from './locale'
import type { NoticeClient } from './notices'
import { ApiError } from './problem'
import { FACES, type PushMemory, memoryOf, pushOffer, remember } from './pushState'
import { type Face, fetchVapidKey } from './pushWorker'

/** What decides whether Web Push can work here. */
export interface Platform {
  userAgent: string
  maxTouchPoints: number
  /** Opened from the Home Screen (iOS: navigator.standalone) or as an installed app (display-mode). */
  standalone: boolean
  /** A service worker, PushManager and Notification are all there. */
  pushApis: boolean
}

/** 'install': an iPhone or iPad where the page is not opened from the Home Screen (Safari gives Web
 * Push only to such an app, from iOS 16.4 on). */
export type PushSupport = 'supported' | 'install' | 'unsupported'
export type Permission = NotificationPermission | 'unsupported'
/** How turning push on ended: what the settings screen and the offer say. */
export type PushOutcome = 'on' | 'blocked' | 'dismissed' | 'unsupported' | 'not-configured' | 'failed'

const WORKER_PATIENCE_MS = 10_000
const FIRST_IOS_WITH_PUSH = [16, 4]

export function currentPlatform(): Platform {
  const nav = navigator as Navigator & { standalone?: boolean }
  return {
    userAgent: nav.userAgent,
    maxTouchPoints: nav.maxTouchPoints ?? 0,
    standalone: nav.standalone === true || window.matchMedia?.('(display-mode: standalone)').matches === true,
    pushApis: 'serviceWorker' in nav && 'PushManager' in window && 'Notification' in window,
  }
}

/** An iPhone, an iPod, or an iPad, which since iPadOS 13 says it is a Mac (one with a touch screen). */
export function isIos(platform: Pick<Platform, 'userAgent' | 'maxTouchPoints'>): boolean {
  return /\b(iPhone|iPad|iPod)\b/.test(platform.userAgent) || (/\bMacintosh\b/.test(platform.userAgent) && platform.maxTouchPoints > 1)
}

/** [major, minor] of iOS from "iPhone OS 16_4", or of the Safari that an iPad's "Mac" agent names
 * ("Version/16.4"); null when the agent says neither. */
export function iosVersion(userAgent: string): [number, number] | null {
  const found = /\bOS (\d+)_(\d+)/.exec(userAgent) ?? /\bVersion\/(\d+)\.(\d+)/.exec(userAgent)
  return found ? [Number(found[1]), Number(found[2])] : null
}

export function pushSupport(platform: Platform = currentPlatform()): PushSupport {
  if (isIos(platform)) {
    const version = iosVersion(platform.userAgent)
    const [major, minor] = FIRST_IOS_WITH_PUSH
    if (version && (version[0] < major || (version[0] === major && version[1] < minor))) return 'unsupported'
    if (!platform.standalone) return 'install'
  }
  return platform.pushApis ? 'supported' : 'unsupported'
}

export function permission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission
}

/** The question to put after a face's first report or clock-in, if any: once per face, never when it
 * is on already, never once the browser has said no (it would not ask again), never where push cannot
 * work; on an iPhone not opened from the Home Screen, how to add it there instead. */
export function offerFor(support: PushSupport, granted: Permission, memory: PushMemory): 'ask' | 'install' | null {
  if (memory.offer || memory.on) return null
  if (support === 'install') return 'install'
  return support === 'supported' && (granted === 'default' || granted === 'granted') ? 'ask' : null
}

/** Put our question now if it is time (it is remembered as put at once: never twice). */
export function offerPush(face: Face): void {
  const kind = offerFor(pushSupport(), permission(), memoryOf(face))
  if (!kind) return
  remember(face, { offer: 'asked' })
  pushOffer.value = { face, kind }
}

/** What the server takes: the browser's subscription (PushSubscription.toJSON()) and its language. */
export interface SubscriptionBody {
  endpoint: string
  expirationTime: number | null
  keys: { p256dh: string; auth: string }
  language: Locale
}

export function subscriptionBody(subscription: PushSubscriptionJSON, language: Locale): SubscriptionBody {
  const { endpoint, keys } = subscription
  if (!endpoint || !keys?.p256dh || !keys.auth) throw new Error('the push subscription has no endpoint or keys')
  return { endpoint, expirationTime: subscription.expirationTime ?? null, keys: { p256dh: keys.p256dh, auth: keys.auth }, language }
}

export function sameKey(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false
  const bytes = new Uint8Array(a)
  return bytes.every((byte, i) => byte === b[i])
}

/** The service worker's registration; it may still be installing on a first visit. */
async function registration(): Promise<ServiceWorkerRegistration> {
  let timer = 0
  const late = new Promise<never>((_, reject) => {
    timer = window.setTimeout(() => reject(new Error('no service worker')), WORKER_PATIENCE_MS)
  })
  try {
    return await Promise.race([navigator.serviceWorker.ready, late])
  } finally {
    window.clearTimeout(timer)
  }
}

/** This browser's subscription under `key`: the one it has, or a new one. One made with another key
 * (the server's keys were renewed) is useless, the push service would refuse the server: replaced. */
async function subscription(worker: ServiceWorkerRegistration, key: Uint8Array<ArrayBuffer>): Promise<PushSubscription> {
  const existing = await worker.pushManager.getSubscription()
  if (existing && sameKey(existing.options.applicationServerKey, key)) return existing
  await existing?.unsubscribe()
  return worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
}

async function tellServer(client: NoticeClient, current: PushSubscription, language: Locale): Promise<void> {
  await client.call('POST', '/api/v1/push/subscriptions', subscriptionBody(current.toJSON(), language))
  remember(client.face, { on: true, endpoint: current.endpoint, language })
}

/** Turn push on for a face: the browser's permission (asked now, while the tap that asked for it still
 * counts: browsers prompt only then), a subscription, and the server told. */
export async function enablePush(client: NoticeClient, language: Locale): Promise<PushOutcome> {
  if (pushSupport() !== 'supported') return 'unsupported'
  const answer = Notification.permission === 'default' ? await Notification.requestPermission() : Notification.permission
  if (answer === 'denied') return 'blocked'
  if (answer !== 'granted') return 'dismissed'
  try {
    const key = await fetchVapidKey()
    if (!key) return 'not-configured'
    await tellServer(client, await subscription(await registration(), key), language)
    return 'on'
  } catch (error) {
    if (error instanceof ApiError && error.code === 'push_not_configured') return 'not-configured'
    return 'failed'
  }
}

async function browserSubscription(): Promise<PushSubscription | null> {
  if (pushSupport() !== 'supported') return null
  const worker = await navigator.serviceWorker.getRegistration()
  return (await worker?.pushManager.getSubscription()) ?? null
}

/** Turn push off for a face: the server forgets its subscription, and, when no other face of the app
 * uses it any more (an inspector may report as a citizen on the same phone), so does the browser. */
export async function disablePush(client: NoticeClient): Promise<void> {
  const memory = memoryOf(client.face)
  const current = await browserSubscription().catch(() => null)
  const endpoint = current?.endpoint ?? memory.endpoint
  remember(client.face, { on: undefined, endpoint: undefined, language: undefined })
  const last = !FACES.some((face) => memoryOf(face).on)
  // Unsubscribed, the endpoint is dead whatever the server keeps: off, offline too.
  if (last) await current?.unsubscribe().catch(() => undefined)
  if (!endpoint) return
  try {
    await client.call('DELETE', `/api/v1/push/subscriptions?endpoint=${encodeURIComponent(endpoint)}`)
  } catch (error) {
    if (last) return
    remember(client.face, memory) // still subscribed, and the server still sends: it is still on
    throw error
  }
}

/** At each start of a face, when the language changes and when the push service renewed the
 * subscription: a face that is on tells the server what changed (a new endpoint, another language),
 * subscribes again if the browser lost its subscription, and is turned off if the permission was
 * taken back in the browser's settings. */
export async function syncPush(client: NoticeClient, language: Locale): Promise<void> {
  const memory = memoryOf(client.face)
  if (!memory.on || pushSupport() !== 'supported') return
  if (permission() !== 'granted') return disablePush(client)
  const worker = await registration()
  let current = await worker.pushManager.getSubscription()
  if (!current) {
    const key = await fetchVapidKey()
    if (!key) return
    current = await subscription(worker, key)
  }
  if (current.endpoint !== memory.endpoint || memory.language !== language) await tellServer(client, current, language)
}
