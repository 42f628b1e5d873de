// Behaviour shared by every page. No inline scripts anywhere: pages carry data in json_script
// tags and this file acts on them whenever htmx loads content (including the first page load).
"use strict";
