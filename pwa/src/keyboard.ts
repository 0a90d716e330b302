// Keys that controls do not answer by themselves. Vant draws some controls as <div role="button"> (a
// cell that opens a page, a photo to enlarge) that only listen for clicks: Enter and Space do on them
// what they do on a real button. A file input opens its chooser with Space only: Enter does too. A
// handler of the element's own that already took the key (preventDefault) wins.
const ROLES = new Set(['button', 'link', 'tab', 'checkbox', 'radio', 'switch', 'menuitem', 'menuitemradio', 'option'])
const NATIVE = new Set(['A', 'BUTTON', 'INPUT', 'SELECT', 'TEXTAREA', 'SUMMARY'])

function answers(target: HTMLElement, key: string): boolean {
  if (target instanceof HTMLInputElement) return target.type === 'file' && key === 'Enter'
  if (NATIVE.has(target.tagName) || target.isContentEditable) return false
  return ROLES.has(target.getAttribute('role') ?? '')
}

export function activateWithKeys(root: Document = document): void {
  root.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || (event.key !== 'Enter' && event.key !== ' ')) return
    const target = event.target
    if (!(target instanceof HTMLElement) || !answers(target, event.key)) return
    event.preventDefault()
    target.click()
  })
}
