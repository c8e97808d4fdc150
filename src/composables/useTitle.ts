import { onScopeDispose, ref, toValue, watchEffect, type MaybeRefOrGetter } from 'vue'

/** A title the page on screen asks for instead of its route's, e.g. the error it shows. */
export const pageTitle = ref<string | null>(null)

export function useTitle(title: MaybeRefOrGetter<string | null>) {
  watchEffect(() => (pageTitle.value = toValue(title)))
  onScopeDispose(() => (pageTitle.value = null))
}
