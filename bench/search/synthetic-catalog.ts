/**
 * Synthetic upstreams for the tool search benchmark: SaaS-like services, each with a few kinds of
 * records and the usual operations on them (list, get, create, update, delete, search) plus a few
 * service-specific ones, worded the way real MCP servers word their tools. Deterministic; sized to
 * bring the real npm servers' tools up to the benchmark's catalog size.
 */
import { Server } from '@modelcontextprotocol/server';

interface Resource {
  /** snake_case singular, e.g. `pull_request`. */
  name: string;
  /** Words for descriptions. */
  singular: string;
  plural: string;
  /** Fields that create/update take. */
  fields: string[];
}

interface Service {
  id: string;
  title: string;
  resources: Resource[];
  /** Service-specific tools: [name, description, argument names]. */
  extra: Array<[string, string, string[]]>;
}

const r = (name: string, singular: string, plural: string, fields: string[]): Resource => ({
  name,
  singular,
  plural,
  fields,
});

export const SERVICES: Service[] = [
  {
    id: 'github',
    title: 'GitHub',
    resources: [
      r('repository', 'repository', 'repositories', ['name', 'description', 'private']),
      r('issue', 'issue', 'issues', ['title', 'body', 'labels', 'assignees']),
      r('pull_request', 'pull request', 'pull requests', ['title', 'head', 'base', 'body']),
      r('release', 'release', 'releases', ['tag_name', 'name', 'body']),
    ],
    extra: [
      [
        'merge_pull_request',
        'Merge an open pull request into its base branch.',
        ['pull_number', 'merge_method'],
      ],
      [
        'create_branch',
        'Create a new branch in a repository from a commit or another branch.',
        ['branch', 'from_branch'],
      ],
      [
        'get_file_contents',
        'Get the contents of a file or directory in a repository at a ref.',
        ['path', 'ref'],
      ],
      [
        'list_commits',
        'List the commits of a branch of a repository, newest first.',
        ['sha', 'per_page'],
      ],
      [
        'fork_repository',
        'Fork a repository to your account or an organization.',
        ['organization'],
      ],
    ],
  },
  {
    id: 'gitlab',
    title: 'GitLab',
    resources: [
      r('project', 'project', 'projects', ['name', 'visibility']),
      r('merge_request', 'merge request', 'merge requests', [
        'source_branch',
        'target_branch',
        'title',
      ]),
      r('pipeline', 'CI pipeline', 'CI pipelines', ['ref', 'variables']),
    ],
    extra: [
      ['retry_pipeline', 'Retry the failed jobs of a CI pipeline.', ['pipeline_id']],
      [
        'approve_merge_request',
        'Approve a merge request as the current user.',
        ['merge_request_iid'],
      ],
    ],
  },
  {
    id: 'jira',
    title: 'Jira',
    resources: [
      r('issue', 'issue', 'issues', ['summary', 'issue_type', 'priority', 'assignee']),
      r('sprint', 'sprint', 'sprints', ['name', 'start_date', 'end_date', 'goal']),
      r('project', 'project', 'projects', ['key', 'name', 'lead']),
      r('comment', 'comment on an issue', 'comments on an issue', ['issue_key', 'body']),
    ],
    extra: [
      [
        'transition_issue',
        'Move an issue to another workflow status, such as In Progress or Done.',
        ['issue_key', 'transition'],
      ],
      ['log_work', 'Log time spent working on an issue.', ['issue_key', 'time_spent']],
    ],
  },
  {
    id: 'linear',
    title: 'Linear',
    resources: [
      r('issue', 'issue', 'issues', ['title', 'team_id', 'priority', 'state']),
      r('cycle', 'cycle', 'cycles', ['team_id', 'starts_at', 'ends_at']),
      r('team', 'team', 'teams', ['name', 'key']),
    ],
    extra: [],
  },
  {
    id: 'slack',
    title: 'Slack',
    resources: [
      r('channel', 'channel', 'channels', ['name', 'is_private', 'topic']),
      r('message', 'message', 'messages', ['channel', 'text', 'thread_ts']),
      r('user', 'workspace member', 'workspace members', ['email', 'display_name']),
    ],
    extra: [
      ['add_reaction', 'Add an emoji reaction to a message.', ['channel', 'timestamp', 'emoji']],
      [
        'post_message',
        'Post a message to a channel or a direct conversation.',
        ['channel', 'text'],
      ],
      ['upload_file', 'Upload a file to a channel.', ['channel', 'filename', 'content']],
      [
        'set_status',
        'Set the status text and emoji of the current user.',
        ['status_text', 'status_emoji'],
      ],
    ],
  },
  {
    id: 'discord',
    title: 'Discord',
    resources: [
      r('channel', 'server channel', 'server channels', ['guild_id', 'name']),
      r('message', 'message', 'messages', ['channel_id', 'content']),
      r('role', 'role', 'roles', ['guild_id', 'name', 'permissions']),
    ],
    extra: [
      ['ban_member', 'Ban a member from a Discord server.', ['guild_id', 'user_id', 'reason']],
    ],
  },
  {
    id: 'notion',
    title: 'Notion',
    resources: [
      r('page', 'page', 'pages', ['parent_id', 'title', 'content']),
      r('database', 'database', 'databases', ['parent_id', 'title', 'properties']),
      r('block', 'block', 'blocks', ['block_id', 'children']),
    ],
    extra: [
      [
        'query_database',
        'Query the rows of a database with filters and sorts.',
        ['database_id', 'filter', 'sorts'],
      ],
    ],
  },
  {
    id: 'gdrive',
    title: 'Google Drive',
    resources: [
      r('file', 'file', 'files', ['name', 'mime_type', 'parents']),
      r('folder', 'folder', 'folders', ['name', 'parent_id']),
      r('permission', 'sharing permission', 'sharing permissions', ['file_id', 'role', 'email']),
    ],
    extra: [
      [
        'export_file',
        'Export a Google Docs, Sheets or Slides file to PDF or another format.',
        ['file_id', 'mime_type'],
      ],
    ],
  },
  {
    id: 'gmail',
    title: 'Gmail',
    resources: [
      r('email', 'email', 'emails', ['to', 'subject', 'body']),
      r('draft', 'draft', 'drafts', ['to', 'subject', 'body']),
      r('label', 'label', 'labels', ['name', 'color']),
    ],
    extra: [
      ['send_email', 'Send an email to one or more recipients.', ['to', 'cc', 'subject', 'body']],
      ['reply_to_thread', 'Reply to an email thread.', ['thread_id', 'body']],
      ['archive_email', 'Archive an email, removing it from the inbox.', ['message_id']],
    ],
  },
  {
    id: 'gcalendar',
    title: 'Google Calendar',
    resources: [
      r('event', 'calendar event', 'calendar events', ['summary', 'start', 'end', 'attendees']),
      r('calendar', 'calendar', 'calendars', ['summary', 'time_zone']),
    ],
    extra: [
      [
        'find_free_time',
        'Find time slots when all the given people are free.',
        ['attendees', 'duration_minutes'],
      ],
    ],
  },
  {
    id: 'stripe',
    title: 'Stripe',
    resources: [
      r('customer', 'customer', 'customers', ['email', 'name', 'metadata']),
      r('invoice', 'invoice', 'invoices', ['customer', 'items', 'due_date']),
      r('subscription', 'subscription', 'subscriptions', ['customer', 'price', 'trial_days']),
      r('product', 'product', 'products', ['name', 'description', 'active']),
    ],
    extra: [
      [
        'create_refund',
        'Refund a charge or a payment intent, fully or partly.',
        ['payment_intent', 'amount'],
      ],
      [
        'create_payment_intent',
        'Create a payment intent to charge a customer an amount in a currency.',
        ['amount', 'currency', 'customer'],
      ],
      ['get_balance', 'Get the current balance of the Stripe account.', []],
    ],
  },
  {
    id: 'shopify',
    title: 'Shopify',
    resources: [
      r('product', 'store product', 'store products', ['title', 'vendor', 'variants']),
      r('order', 'order', 'orders', ['line_items', 'customer', 'shipping_address']),
      r('customer', 'store customer', 'store customers', ['email', 'first_name', 'last_name']),
    ],
    extra: [
      [
        'adjust_inventory',
        'Adjust the available inventory quantity of a product variant at a location.',
        ['inventory_item_id', 'location_id', 'delta'],
      ],
      [
        'fulfill_order',
        'Mark the items of an order as fulfilled and add tracking information.',
        ['order_id', 'tracking_number'],
      ],
    ],
  },
  {
    id: 'salesforce',
    title: 'Salesforce',
    resources: [
      r('lead', 'lead', 'leads', ['first_name', 'last_name', 'company', 'status']),
      r('opportunity', 'sales opportunity', 'sales opportunities', [
        'name',
        'stage',
        'amount',
        'close_date',
      ]),
      r('account', 'account', 'accounts', ['name', 'industry']),
      r('contact', 'contact', 'contacts', ['first_name', 'last_name', 'email', 'account_id']),
    ],
    extra: [['run_soql_query', 'Run a SOQL query and return the matching records.', ['soql']]],
  },
  {
    id: 'hubspot',
    title: 'HubSpot',
    resources: [
      r('contact', 'CRM contact', 'CRM contacts', ['email', 'firstname', 'lastname']),
      r('deal', 'deal', 'deals', ['dealname', 'amount', 'dealstage']),
      r('company', 'company', 'companies', ['name', 'domain']),
    ],
    extra: [],
  },
  {
    id: 'zendesk',
    title: 'Zendesk',
    resources: [
      r('ticket', 'support ticket', 'support tickets', [
        'subject',
        'description',
        'priority',
        'requester',
      ]),
      r('user', 'end user', 'end users', ['name', 'email', 'role']),
      r('macro', 'macro', 'macros', ['title', 'actions']),
    ],
    extra: [
      [
        'add_ticket_comment',
        'Add a public reply or an internal note to a support ticket.',
        ['ticket_id', 'body', 'public'],
      ],
    ],
  },
  {
    id: 'twilio',
    title: 'Twilio',
    resources: [
      r('message', 'SMS message', 'SMS messages', ['to', 'from', 'body']),
      r('call', 'phone call', 'phone calls', ['to', 'from', 'twiml']),
    ],
    extra: [
      [
        'lookup_phone_number',
        'Look up carrier and caller name information about a phone number.',
        ['phone_number'],
      ],
    ],
  },
  {
    id: 's3',
    title: 'Amazon S3',
    resources: [
      r('bucket', 'bucket', 'buckets', ['bucket', 'region']),
      r('object', 'object', 'objects', ['bucket', 'key', 'body']),
    ],
    extra: [
      [
        'presign_url',
        'Create a presigned URL to download or upload an object without credentials.',
        ['bucket', 'key', 'expires_in'],
      ],
    ],
  },
  {
    id: 'ec2',
    title: 'Amazon EC2',
    resources: [
      r('instance', 'virtual machine instance', 'virtual machine instances', [
        'image_id',
        'instance_type',
      ]),
      r('security_group', 'security group', 'security groups', ['group_name', 'rules']),
      r('volume', 'EBS volume', 'EBS volumes', ['size', 'availability_zone']),
    ],
    extra: [
      ['start_instance', 'Start a stopped virtual machine instance.', ['instance_id']],
      ['stop_instance', 'Stop a running virtual machine instance.', ['instance_id']],
      ['reboot_instance', 'Reboot a virtual machine instance.', ['instance_id']],
    ],
  },
  {
    id: 'kubernetes',
    title: 'Kubernetes',
    resources: [
      r('pod', 'pod', 'pods', ['namespace', 'spec']),
      r('deployment', 'deployment', 'deployments', ['namespace', 'replicas', 'image']),
      r('service', 'cluster service', 'cluster services', ['namespace', 'ports', 'selector']),
      r('namespace', 'namespace', 'namespaces', ['name', 'labels']),
    ],
    extra: [
      [
        'get_pod_logs',
        'Get the logs of a container in a pod.',
        ['namespace', 'pod', 'container', 'tail_lines'],
      ],
      [
        'scale_deployment',
        'Scale a deployment to a number of replicas.',
        ['namespace', 'deployment', 'replicas'],
      ],
      [
        'rollout_restart',
        'Restart the pods of a deployment with a rolling restart.',
        ['namespace', 'deployment'],
      ],
    ],
  },
  {
    id: 'docker',
    title: 'Docker',
    resources: [
      r('container', 'container', 'containers', ['image', 'command', 'ports']),
      r('image', 'container image', 'container images', ['tag', 'dockerfile']),
      r('volume', 'Docker volume', 'Docker volumes', ['name', 'driver']),
    ],
    extra: [
      [
        'exec_in_container',
        'Execute a command inside a running container.',
        ['container_id', 'command'],
      ],
    ],
  },
  {
    id: 'postgres',
    title: 'PostgreSQL',
    resources: [
      r('table', 'table', 'tables', ['schema', 'columns']),
      r('index', 'table index', 'table indexes', ['table', 'columns', 'unique']),
    ],
    extra: [
      [
        'run_sql_query',
        'Run a read-only SQL query against the database and return the rows.',
        ['sql'],
      ],
      ['explain_query', 'Show the execution plan of a SQL query.', ['sql', 'analyze']],
    ],
  },
  {
    id: 'redis',
    title: 'Redis',
    resources: [r('key', 'key', 'keys', ['key', 'value', 'ttl'])],
    extra: [
      ['set_expiry', 'Set the time to live of a key in seconds.', ['key', 'ttl']],
      ['publish_message', 'Publish a message on a pub/sub channel.', ['channel', 'message']],
    ],
  },
  {
    id: 'elasticsearch',
    title: 'Elasticsearch',
    resources: [
      r('index', 'search index', 'search indices', ['index', 'mappings', 'settings']),
      r('document', 'indexed document', 'indexed documents', ['index', 'document']),
    ],
    extra: [
      [
        'run_aggregation',
        'Run an aggregation over the documents of an index.',
        ['index', 'aggregations'],
      ],
    ],
  },
  {
    id: 'datadog',
    title: 'Datadog',
    resources: [
      r('monitor', 'monitor', 'monitors', ['name', 'query', 'thresholds']),
      r('dashboard', 'dashboard', 'dashboards', ['title', 'widgets']),
    ],
    extra: [
      [
        'query_metrics',
        'Query timeseries metric points over a time range.',
        ['query', 'from', 'to'],
      ],
      ['mute_monitor', 'Mute a monitor so it stops alerting for a while.', ['monitor_id', 'end']],
    ],
  },
  {
    id: 'sentry',
    title: 'Sentry',
    resources: [
      r('issue', 'error issue', 'error issues', ['status', 'assigned_to']),
      r('project', 'Sentry project', 'Sentry projects', ['name', 'platform']),
    ],
    extra: [['resolve_issue', 'Mark an error issue as resolved.', ['issue_id']]],
  },
  {
    id: 'pagerduty',
    title: 'PagerDuty',
    resources: [
      r('incident', 'incident', 'incidents', ['title', 'service_id', 'urgency']),
      r('schedule', 'on-call schedule', 'on-call schedules', ['name', 'time_zone', 'layers']),
    ],
    extra: [
      ['acknowledge_incident', 'Acknowledge an incident so escalation stops.', ['incident_id']],
      [
        'get_current_oncall',
        'Get who is on call right now for an escalation policy.',
        ['escalation_policy_id'],
      ],
    ],
  },
  {
    id: 'figma',
    title: 'Figma',
    resources: [
      r('file', 'design file', 'design files', ['name', 'project_id']),
      r('comment', 'design comment', 'design comments', ['file_key', 'message']),
    ],
    extra: [
      [
        'export_images',
        'Render frames or nodes of a design file as PNG or SVG images.',
        ['file_key', 'ids', 'format'],
      ],
    ],
  },
  {
    id: 'trello',
    title: 'Trello',
    resources: [
      r('board', 'board', 'boards', ['name', 'description']),
      r('card', 'card', 'cards', ['list_id', 'name', 'due']),
    ],
    extra: [['move_card', 'Move a card to another list.', ['card_id', 'list_id']]],
  },
  {
    id: 'asana',
    title: 'Asana',
    resources: [
      r('task', 'task', 'tasks', ['name', 'assignee', 'due_on', 'notes']),
      r('project', 'Asana project', 'Asana projects', ['name', 'team']),
    ],
    extra: [['complete_task', 'Mark a task as completed.', ['task_id']]],
  },
  {
    id: 'airtable',
    title: 'Airtable',
    resources: [
      r('record', 'record', 'records', ['base_id', 'table', 'fields']),
      r('base', 'base', 'bases', ['name', 'workspace_id']),
    ],
    extra: [],
  },
  {
    id: 'spotify',
    title: 'Spotify',
    resources: [
      r('playlist', 'playlist', 'playlists', ['name', 'public', 'description']),
      r('track', 'track', 'tracks', ['uri']),
    ],
    extra: [
      ['play', 'Start or resume playback on the active device.', ['context_uri', 'device_id']],
      ['skip_to_next', 'Skip to the next track in the queue.', []],
    ],
  },
  {
    id: 'weather',
    title: 'Weather',
    resources: [],
    extra: [
      [
        'get_forecast',
        'Get the weather forecast for a location for the next days.',
        ['latitude', 'longitude', 'days'],
      ],
      [
        'get_current_conditions',
        'Get current temperature, wind and humidity at a location.',
        ['latitude', 'longitude'],
      ],
      ['get_alerts', 'Get active severe weather alerts for a US state.', ['state']],
    ],
  },
  {
    id: 'maps',
    title: 'Maps',
    resources: [r('place', 'place', 'places', ['name', 'location'])],
    extra: [
      ['geocode', 'Convert a street address to latitude and longitude coordinates.', ['address']],
      ['reverse_geocode', 'Convert coordinates to a street address.', ['latitude', 'longitude']],
      [
        'get_directions',
        'Get driving, walking or transit directions between two places.',
        ['origin', 'destination', 'mode'],
      ],
      [
        'distance_matrix',
        'Compute travel distance and time between many origins and destinations.',
        ['origins', 'destinations'],
      ],
    ],
  },
  {
    id: 'translate',
    title: 'Translation',
    resources: [r('glossary', 'glossary', 'glossaries', ['name', 'entries'])],
    extra: [
      [
        'translate_text',
        'Translate text from one language to another.',
        ['text', 'target_language'],
      ],
      ['detect_language', 'Detect the language of a text.', ['text']],
    ],
  },
  {
    id: 'confluence',
    title: 'Confluence',
    resources: [
      r('page', 'wiki page', 'wiki pages', ['space_key', 'title', 'body']),
      r('space', 'space', 'spaces', ['key', 'name']),
    ],
    extra: [],
  },
  {
    id: 'dropbox',
    title: 'Dropbox',
    resources: [r('file', 'Dropbox file', 'Dropbox files', ['path', 'content'])],
    extra: [['create_shared_link', 'Create a shared link to a file or folder.', ['path']]],
  },
  {
    id: 'vercel',
    title: 'Vercel',
    resources: [
      r('deployment', 'deployment', 'deployments', ['project', 'target', 'git_ref']),
      r('domain', 'domain', 'domains', ['name', 'project']),
      r('env_var', 'environment variable', 'environment variables', ['key', 'value', 'target']),
    ],
    extra: [
      ['promote_deployment', 'Promote a preview deployment to production.', ['deployment_id']],
    ],
  },
  {
    id: 'cloudflare',
    title: 'Cloudflare',
    resources: [
      r('dns_record', 'DNS record', 'DNS records', ['zone_id', 'type', 'name', 'content']),
      r('worker', 'Worker script', 'Worker scripts', ['name', 'script']),
    ],
    extra: [['purge_cache', 'Purge cached files of a zone from the CDN.', ['zone_id', 'files']]],
  },
  {
    id: 'mailchimp',
    title: 'Mailchimp',
    resources: [
      r('campaign', 'email campaign', 'email campaigns', ['subject_line', 'list_id']),
      r('audience', 'audience list', 'audience lists', ['name', 'contact']),
    ],
    extra: [['send_campaign', 'Send an email campaign to its audience now.', ['campaign_id']]],
  },
  {
    id: 'calendly',
    title: 'Calendly',
    resources: [r('event_type', 'meeting type', 'meeting types', ['name', 'duration'])],
    extra: [
      [
        'cancel_meeting',
        'Cancel a scheduled meeting and notify the invitee.',
        ['event_uuid', 'reason'],
      ],
    ],
  },
  {
    id: 'quickbooks',
    title: 'QuickBooks',
    resources: [
      r('bill', 'vendor bill', 'vendor bills', ['vendor_id', 'lines', 'due_date']),
      r('expense', 'expense', 'expenses', ['account', 'amount', 'payee']),
    ],
    extra: [
      [
        'profit_and_loss_report',
        'Get the profit and loss report for a period.',
        ['start_date', 'end_date'],
      ],
    ],
  },
];

/** More services, compactly: id, title, resources as `name:singular:plural:field,field`. */
const MORE: Array<[string, string, string[]]> = [
  [
    'bitbucket',
    'Bitbucket',
    [
      'snippet:code snippet:code snippets:title,files',
      'webhook:repository webhook:repository webhooks:url,events',
      'deploy_key:deploy key:deploy keys:label,key',
      'branch_restriction:branch restriction:branch restrictions:kind,pattern',
    ],
  ],
  [
    'intercom',
    'Intercom',
    [
      'conversation:customer conversation:customer conversations:user_id,body',
      'article:help center article:help center articles:title,body',
      'segment:user segment:user segments:name,filters',
      'tag:conversation tag:conversation tags:name',
    ],
  ],
  [
    'okta',
    'Okta',
    [
      'group:directory group:directory groups:name,description',
      'app:SSO application:SSO applications:label,sign_on_mode',
      'policy:sign-on policy:sign-on policies:name,rules',
      'factor:MFA factor:MFA factors:user_id,factor_type',
    ],
  ],
  [
    'auth0',
    'Auth0',
    [
      'client:OAuth client:OAuth clients:name,callbacks',
      'connection:identity connection:identity connections:name,strategy',
      'rule:login rule:login rules:name,script',
      'api:resource server API:resource server APIs:identifier,scopes',
    ],
  ],
  [
    'snowflake',
    'Snowflake',
    [
      'warehouse:compute warehouse:compute warehouses:name,size',
      'stage:data stage:data stages:name,url',
      'stream:change stream:change streams:table,mode',
      'grant:privilege grant:privilege grants:role,privilege',
    ],
  ],
  [
    'bigquery',
    'BigQuery',
    [
      'dataset:dataset:datasets:dataset_id,location',
      'job:query job:query jobs:query,destination',
      'view:saved view:saved views:dataset_id,query',
      'routine:stored routine:stored routines:dataset_id,body',
    ],
  ],
  [
    'segment',
    'Segment',
    [
      'source:event source:event sources:name,slug',
      'destination:event destination:event destinations:name,settings',
      'tracking_plan:tracking plan:tracking plans:name,rules',
      'function:source function:source functions:name,code',
    ],
  ],
  [
    'contentful',
    'Contentful',
    [
      'entry:content entry:content entries:content_type,fields',
      'asset:media asset:media assets:title,file',
      'content_type:content model:content models:name,fields',
      'locale:locale:locales:code,fallback',
    ],
  ],
  [
    'greenhouse',
    'Greenhouse',
    [
      'candidate:job candidate:job candidates:first_name,last_name,email',
      'job:job opening:job openings:name,department',
      'application:job application:job applications:candidate_id,job_id',
      'scorecard:interview scorecard:interview scorecards:application_id,ratings',
    ],
  ],
  [
    'workday',
    'Workday',
    [
      'worker:employee:employees:name,position',
      'time_off:time off request:time off requests:worker_id,start_date,end_date',
      'position:open position:open positions:title,department',
      'payslip:payslip:payslips:worker_id,period',
    ],
  ],
  [
    'netlify',
    'Netlify',
    [
      'site:website:websites:name,repo',
      'form:form submission:form submissions:site_id,name',
      'build_hook:build hook:build hooks:site_id,branch',
      'function:serverless function:serverless functions:site_id,name',
    ],
  ],
  [
    'firebase',
    'Firebase',
    [
      'document:Firestore document:Firestore documents:collection,data',
      'auth_user:authentication user:authentication users:email,password',
      'remote_config:remote config parameter:remote config parameters:key,value',
      'push:push notification:push notifications:token,title,body',
    ],
  ],
  [
    'youtube',
    'YouTube',
    [
      'video:video:videos:title,description,privacy',
      'playlist:YouTube playlist:YouTube playlists:title',
      'comment:video comment:video comments:video_id,text',
      'caption:caption track:caption tracks:video_id,language',
    ],
  ],
  [
    'twitter',
    'X (Twitter)',
    [
      'tweet:post:posts:text,media_ids',
      'list:list of accounts:lists of accounts:name,private',
      'bookmark:bookmark:bookmarks:tweet_id',
      'follow:follow:follows:target_user_id',
    ],
  ],
];

for (const [id, title, specs] of MORE) {
  SERVICES.push({
    id,
    title,
    resources: specs.map((spec) => {
      const [name, singular, plural, fields] = spec.split(':') as [string, string, string, string];
      return r(name, singular, plural, fields.split(','));
    }),
    extra: [],
  });
}

const VERBS = ['list', 'get', 'create', 'update', 'delete', 'search'] as const;

type SyntheticTool = {
  name: string;
  description: string;
  inputSchema: {
    type: 'object';
    properties: Record<string, { type: string; description?: string }>;
    required?: string[];
  };
};

function property(name: string): { type: string; description?: string } {
  return {
    type: /^(limit|per_page|amount|replicas|size|ttl|days|delta|duration)/.test(name)
      ? 'number'
      : 'string',
  };
}

function schema(names: string[], required: string[] = []): SyntheticTool['inputSchema'] {
  return {
    type: 'object',
    properties: Object.fromEntries(names.map((name) => [name, property(name)])),
    ...(required.length > 0 ? { required } : {}),
  };
}

/** The tools of one service. */
export function toolsOf(service: Service): SyntheticTool[] {
  const tools: SyntheticTool[] = [];
  const { title } = service;
  for (const resource of service.resources) {
    const id = `${resource.name}_id`;
    const describe: Record<(typeof VERBS)[number], [string, string[], string[]]> = {
      list: [
        `List ${resource.plural} in ${title}. Results are paginated.`,
        ['limit', 'cursor'],
        [],
      ],
      get: [`Get one ${resource.singular} from ${title} by its ID.`, [id], [id]],
      create: [
        `Create a new ${resource.singular} in ${title}.`,
        resource.fields,
        resource.fields.slice(0, 1),
      ],
      update: [`Update an existing ${title} ${resource.singular}.`, [id, ...resource.fields], [id]],
      delete: [`Delete a ${resource.singular} from ${title}. This cannot be undone.`, [id], [id]],
      search: [
        `Search ${title} ${resource.plural} matching a text query.`,
        ['query', 'limit'],
        ['query'],
      ],
    };
    for (const verb of VERBS) {
      const [description, args, required] = describe[verb];
      const noun = verb === 'list' || verb === 'search' ? pluralName(resource.name) : resource.name;
      tools.push({ name: `${verb}_${noun}`, description, inputSchema: schema(args, required) });
    }
  }
  for (const [name, description, args] of service.extra) {
    tools.push({ name, description, inputSchema: schema(args, args.slice(0, 1)) });
  }
  return tools;
}

function pluralName(name: string): string {
  if (name.endsWith('y')) return `${name.slice(0, -1)}ies`;
  if (name.endsWith('s') || name.endsWith('x')) return `${name}es`;
  return `${name}s`;
}

/** How many tools the synthetic services have. */
export function syntheticToolCount(): number {
  return SERVICES.reduce((sum, service) => sum + toolsOf(service).length, 0);
}

/** A low-level SDK server listing a service's first `limit` tools (calls echo their arguments). */
export function createSyntheticUpstream(serviceId: string, limit?: number): Server {
  const service = SERVICES.find((candidate) => candidate.id === serviceId);
  if (!service) throw new Error(`no synthetic service ${serviceId}`);
  const tools = toolsOf(service).slice(0, limit);
  const server = new Server(
    { name: service.id, version: '1.0.0', title: service.title },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: JSON.stringify(request.params.arguments ?? {}) }],
  }));
  return server;
}
