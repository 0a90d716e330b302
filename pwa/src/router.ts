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
  ],
})
