// Vant draws some controls as <div role="button"> (a cell that opens a page, a photo to enlarge) that
// only listen for clicks. Enter and Space do on them what they do on a real button. A handler of the
// element's own that already took the key (preventDefault) wins.
const ROLES = new Set(['button', 'link', 'tab', 'checkbox', 'radio', 'switch', 'menuitem', 'menuitemradio', 'option'])
const NATIVE = new Set(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'SUMMARY'])

export function activateWithKeys(root: Document = document): void {
  root.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || (event.key !== 'Enter' && event.key !== ' ')) return
    const target = event.target
    if (!(target instanceof HTMLElement) || NATIVE.has(target.tagName) || target.isContentEditable) return
    if (!ROLES.has(target.getAttribute('role') ?? '')) return
    event.preventDefault()
    target.click()
  })
}
