<div class="demo-hello">{{ greeting }}{% if extra %} <span class="extra">{{ extra }}</span>{% endif %}
<form method="post" action="{{ modulelink }}"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}"><input name="word"><button>Go</button></form></div>
