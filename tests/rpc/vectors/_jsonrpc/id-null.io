// id null is a request (answered with id null), not a notification
>> {"jsonrpc":"2.0","id":null,"method":"eth_chainId"}
<< {"jsonrpc":"2.0","id":null,"result":"0x7a69"}
