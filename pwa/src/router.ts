import { createRouter, createWebHistory } from 'vue-router'
import HomeView from './views/HomeView.vue'

// Only the first screen is in the entry bundle; the rest load when visited.
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', name: 'home', component: HomeView },
    { path: '/report', name: 'report', component: () => import('./views/ReportView.vue') },
    { path: '/requests', name: 'requests', component: () => import('./views/RequestsView.vue') },
    {
      path: '/requests/:id',
      name: 'request',
      component: () => import('./views/RequestDetailView.vue'),
      props: true,
    },
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    { path: '/inbox', name: 'inbox', component: () => import('./views/InboxView.vue') },
    { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
    // The inspectors' field app (城管通): its own chrome, its own session, loaded only by inspectors.
    {
      path: '/field/login',
      name: 'field-login',
      component: () => import('./field/LoginView.vue'),
      meta: { field: true, public: true },
    },
    {
      path: '/field',
      component: () => import('./field/FieldLayout.vue'),
      meta: { field: true },
      children: [
        { path: '', name: 'field-tasks', component: () => import('./field/TasksView.vue') },
        { path: 'tasks/:id', name: 'field-task', component: () => import('./field/TaskView.vue'), props: true },
        { path: 'report', name: 'field-report', component: () => import('./field/ReportView.vue') },
        { path: 'shift', name: 'field-shift', component: () => import('./field/ShiftView.vue') },
        { path: 'history', name: 'field-history', component: () => import('./field/HistoryView.vue') },
        { path: 'inbox', name: 'field-inbox', component: () => import('./field/InboxView.vue') },
        { path: 'settings', name: 'field-settings', component: () => import('./field/SettingsView.vue') },
      ],
    },
    // The staff desk: its own chrome, its own session, loaded only by those who go there.
    {
      path: '/staff/login',
      name: 'staff-login',
      component: () => import('./staff/LoginView.vue'),
      meta: { staff: true, public: true },
    },
    {
      path: '/staff',
      component: () => import('./staff/StaffLayout.vue'),
      meta: { staff: true },
      children: [
        { path: '', name: 'staff-queue', component: () => import('./staff/QueueView.vue') },
        { path: 'cases/:id', name: 'staff-case', component: () => import('./staff/CaseView.vue'), props: true },
        { path: 'map', name: 'staff-map', component: () => import('./staff/MapView.vue') },
        { path: 'dashboard', name: 'staff-dashboard', component: () => import('./staff/DashboardView.vue') },
        { path: 'inspectors', name: 'staff-inspectors', component: () => import('./staff/InspectorsView.vue') },
        { path: 'tasks', name: 'staff-tasks', component: () => import('./staff/TasksView.vue') },
        { path: 'inbox', name: 'staff-inbox', component: () => import('./staff/InboxView.vue') },
        { path: 'settings', name: 'staff-settings', component: () => import('./staff/SettingsView.vue') },
        {
          path: 'admin/templates',
          name: 'staff-admin-templates',
          component: () => import('./staff/AdminTemplatesView.vue'),
          meta: { admin: true },
        },
        {
          path: 'admin/routing',
          name: 'staff-admin-routing',
          component: () => import('./staff/AdminRoutingView.vue'),
          meta: { admin: true },
        },
        {
          path: 'admin/delivery',
          name: 'staff-admin-delivery',
          component: () => import('./staff/AdminDeliveryView.vue'),
          meta: { admin: true },
        },
        {
          path: 'admin/api-keys',
          name: 'staff-admin-api-keys',
          component: () => import('./staff/AdminApiKeysView.vue'),
          meta: { admin: true },
        },
      ],
    },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.field) {
    // The field app's texts first (they are not in the citizen app's), then its session.
    const { ready, signedIn } = await import('./field/boot')
    await ready()
    if (to.meta.public || signedIn()) return true
    return { name: 'field-login', query: { next: to.fullPath } }
  }
  if (!to.meta.staff || to.meta.public) return true
  const { isAdmin, signedIn } = await import('./staff/session')
  if (!signedIn()) return { name: 'staff-login', query: { next: to.fullPath } }
  // The API refuses these to anyone else anyway; a dispatcher is sent to the queue instead.
  return to.meta.admin && !isAdmin() ? { name: 'staff-queue' } : true
})
