// a block filter collects the hashes of blocks sealed after it, once
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}
<< {"jsonrpc":"2.0","id":1,"result":"0xba15251c3960ffebc3ab6083b44cc4db"}
>> {"jsonrpc":"2.0","id":2,"method":"evm_mine","params":[1700000000]}
<< {"jsonrpc":"2.0","id":2,"result":"0x0"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_mine","params":[1700000012]}
<< {"jsonrpc":"2.0","id":3,"result":"0x0"}
>> {"jsonrpc":"2.0","id":4,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":4,"result":["0xfda82421e63eaf54f1331dac4d063cbc03caec2fbab88f0b78ce0805d9600a70","0xbfe252e973e189eb111969f57553eb38765f76842fa83522ebb840522efecde9"]}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xba15251c3960ffebc3ab6083b44cc4db"]}
<< {"jsonrpc":"2.0","id":5,"result":[]}
