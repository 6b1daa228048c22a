import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';

export class EngagementScoreApi implements ICredentialType {
  name = 'engagementScoreApi';

  displayName = 'Engagement Score API';

  icon: Icon = {
    light: 'file:../nodes/EngagementScore/engagementScore.svg',
    dark: 'file:../nodes/EngagementScore/engagementScore.dark.svg',
  };

  documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-engagement-score#credentials';

  properties: INodeProperties[] = [
    {
      displayName: 'Base URL',
      name: 'baseUrl',
      type: 'string',
      default: 'http://127.0.0.1:3000',
      placeholder: 'https://scores.example.com',
      required: true,
      description: 'Where the Engagement Score service answers, without /v1',
    },
    {
      displayName: 'API Key',
      name: 'apiKey',
      type: 'string',
      typeOptions: { password: true },
      default: '',
      required: true,
      description:
        'A key of your workspace. Recommended: an automation key (npm run keys -- create --workspace NAME --role automation, or POST /v1/keys with {"role":"automation"}), which reads, records interactions and runs the trigger, nothing else. Create or Update and Delete contact and Score Update need a writer key, Profile Publish an admin key.',
      hint: 'Use an automation key: it can read, record interactions and manage the trigger’s subscriptions, and nothing else',
    },
  ];

  authenticate: IAuthenticateGeneric = {
    type: 'generic',
    properties: {
      headers: {
        Authorization: '=Bearer {{$credentials.apiKey}}',
      },
    },
  };

  test: ICredentialTestRequest = {
    request: {
      baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
      url: '/v1/me',
    },
  };
}
