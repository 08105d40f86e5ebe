# Both the resource and its provider configuration are gone.
